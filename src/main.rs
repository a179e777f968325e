//! `overtime`: check an executor's timeout behaviour against the spec. The command line is
//! `overtime::cli`; `overtime --help` lists the subcommands and the exit codes.

fn main() -> std::process::ExitCode {
    overtime::cli::main()
}
