//! The harness's consumer as an async task: the same behaviours as [`crate::consume`] (the
//! start delay, the pauses, the drop after n items) with tokio's time, recording the same
//! events, so every property judges an async executor's trace unchanged.

use super::executor::{AsyncCall, AsyncExecutor, AsyncOutcome};
use crate::call::Consumer;
use crate::trace::{Answer, Event, Recorder};
use futures::StreamExt;

/// Makes `call` on `executor`, pulls as `consumer` says, drops, and records it all (spec §1:
/// what the consumer records in each mode). Must run inside a tokio runtime with time enabled.
pub async fn consume<E: AsyncExecutor + ?Sized>(
    executor: &E,
    call: AsyncCall,
    consumer: &Consumer,
    recorder: &Recorder,
) {
    recorder.record(Event::CallMade);
    match executor.run(call) {
        AsyncOutcome::List(answer) => {
            let answer = answer.await;
            recorder.record(Event::CallReturned);
            match answer {
                Ok(slots) => {
                    for slot in slots {
                        recorder.record(Event::Answered(Answer::from(slot)));
                    }
                    recorder.record(Event::Answered(Answer::End));
                }
                Err(e) => {
                    recorder.record(Event::Answered(Answer::from(&e)));
                }
            }
        }
        AsyncOutcome::Stream(mut stream) => {
            recorder.record(Event::CallReturned);
            let mut delivered = 0usize;
            while !consumer.drops_after(delivered) {
                let pause = consumer.pause_before(delivered);
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                recorder.record(Event::NextAsked);
                match stream.next().await {
                    Some(Ok(slot)) => {
                        recorder.record(Event::Answered(Answer::from(slot)));
                        delivered += 1;
                    }
                    Some(Err(e)) => {
                        recorder.record(Event::Answered(Answer::from(&e)));
                        break;
                    }
                    None => {
                        recorder.record(Event::Answered(Answer::End));
                        break;
                    }
                }
            }
            recorder.record(Event::DropBegun);
            drop(stream);
            recorder.record(Event::DropReturned);
        }
    }
}
