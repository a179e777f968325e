#!/usr/bin/env python3
"""Appends to reports/external.md the sections computed from the run's JSON (used by
`report`): what each executor did with a task that raises the language's own TimeoutError
(attribution), and every failure of the run, case by case, explained by the hand-written
notes in report-notes.toml.

    report_sections.py RESULTS_JSON NOTES_TOML  >> reports/external.md

Every failing case run — executor, property, case, with the modes it failed in — must match a
note (the executor by glob, the property by ID, the case by name). A failure no note explains
is listed as such and the script exits 1: the report then says plainly what is not yet
understood, and the run that made it fails.
"""

import fnmatch
import json
import sys
import tomllib


def failures(results):
    """(executor, property id, property name, level, case) -> [modes], in report order."""
    found = {}
    for executor in results["executors"]:
        name = executor["profile"]["name"]
        levels = {r["id"]: r["level"] for r in executor["results"]}
        for case in executor["cases"]:
            for verdict in case["verdicts"]:
                if verdict["verdict"] != "fail":
                    continue
                key = (name, verdict["id"], verdict["property"], levels.get(verdict["id"], "?"),
                       case["case"])
                found.setdefault(key, []).append((case["mode"], verdict["evidence"]))
    return found


ATTRIBUTION_CASE = "task-raises-timeout"


def attribution(results):
    """The attribution section: P07 on the case whose task raises TimeoutError, per executor
    and mode."""
    out = ["", "## A task that raises TimeoutError", "",
           f"In `{ATTRIBUTION_CASE}` task 1 fails at 0.3T by raising `TimeoutError` itself (the "
           "adapters raise `overtime_protocol.TaskRaisedTimeout`, a `TimeoutError` subclass "
           "naming the task). It must surface as task 1's failure, never as the executor's "
           "timeout: an executor that catches `TimeoutError` around a task's result and raises "
           "its own instead fails P02 and P07, whose evidence then says the timeout error was the "
           "task's. What each executor did:", "",
           "| executor | mode | P07 | evidence |", "|---|---|---|---|"]
    for executor in results["executors"]:
        for case in executor["cases"]:
            if case["case"] != ATTRIBUTION_CASE:
                continue
            for verdict in case["verdicts"]:
                if verdict["id"] == "P07":
                    evidence = verdict["evidence"].replace("|", "\\|")
                    out.append(f"| {executor['profile']['name']} | {case['mode']} | "
                               f"{verdict['verdict'].upper()} | {evidence} |")
    return out


def note_for(notes, executor, property_id, case):
    for note in notes:
        if (fnmatch.fnmatch(executor, note["executors"]) and note["property"] == property_id
                and case in note["cases"]):
            return note
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        results = json.load(f)
    with open(sys.argv[2], "rb") as f:
        notes = tomllib.load(f).get("note", [])
    found = failures(results)
    unexplained = 0
    out = attribution(results)
    out += ["", "## Every failure, case by case", ""]
    if not found:
        out.append("No case failed.")
    else:
        out.append(
            "Each row is one case that failed a property, with the modes it failed in, and what "
            "the library does there against what it documents. The notes are hand-written "
            "(`adapters/python/report-notes.toml`); `adapters/python/report` fails when a "
            "failure has none.")
        out.append("")
        out.append("| executor | property | case | modes | explanation |")
        out.append("|---|---|---|---|---|")
        for (executor, pid, pname, level, case), runs in found.items():
            modes = ", ".join(m for m, _ in runs)
            note = note_for(notes, executor, pid, case)
            if note is None:
                unexplained += 1
                text = "**not explained yet**: " + runs[0][1].replace("|", "\\|")
            else:
                text = " ".join(note["text"].split()).replace("|", "\\|")
            out.append(f"| {executor} | {pid} {pname} ({level}) | {case} | {modes} | {text} |")
    print("\n".join(out))
    if unexplained:
        sys.stderr.write(f"report_sections: {unexplained} failing case run(s) have no note in "
                         f"{sys.argv[2]}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
