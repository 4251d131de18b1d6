"""``bss2 submit EXPERIMENT [options] --collab ID [--wait]``: run an experiment on BrainScaleS-2
as an EBRAINS job (see :mod:`bss2_experiments.ebrains`); ``bss2 submit --resume ID``."""
from __future__ import annotations

import argparse
import json
import sys

EXAMPLES = """examples:
  bss2 submit ttfs --epochs 20 --collab my-collab --wait
                         train TTFS on a BrainScaleS-2 chip of the EBRAINS queue, wait, fetch results
  bss2 submit ttfs --collab my-collab          submit and return; the job id is printed and recorded
  bss2 submit --resume 123456                  follow job 123456 (e.g. after Ctrl-C) and fetch its results

token: $EBRAINS_TOKEN, else {"token": "..."} in ~/.config/bss2-suite/ebrains.json (chmod 600; path in
$BSS2_EBRAINS_CONFIG), else the nmpi client's cache ~/.hbptoken. The token is never printed or logged.
"""

SUBMIT_OPTIONS = ("collab", "platform", "wait", "out", "job_service", "poll", "suite_source", "resume", "json",
                  "no_progress")


def _add_options(parser: argparse.ArgumentParser, with_job: bool) -> None:
    group = parser.add_argument_group("submit options")
    S = argparse.SUPPRESS  # parent and experiment parsers must not overwrite each other's values
    if with_job:
        group.add_argument("--collab", default=S, help="EBRAINS collab the job is billed to (required)")
        group.add_argument("--platform", default=S, help="queue (default BrainScaleS-2)")
        group.add_argument("--wait", action="store_true", default=S, help="wait for the job, then fetch its results")
        group.add_argument("--suite-source", metavar="PIP_SPEC", default=S,
                           help="what the job pip-installs when bss2-suite is missing on the platform "
                                "(e.g. git+https://host/bss2-suite.git@<commit>)")
    group.add_argument("--resume", type=int, metavar="ID", default=S,
                       help="follow job ID submitted earlier and fetch its results")
    group.add_argument("--out", default=S, help="folder of job records and results (default runs/)")
    group.add_argument("--job-service", metavar="URL", default=S, help="NMPI job service (default: EBRAINS)")
    group.add_argument("--poll", type=float, metavar="SECONDS", default=S, help="status poll interval (default 10)")
    group.add_argument("--json", action="store_true", default=S, help="last stdout line: one JSON object")
    group.add_argument("--no-progress", action="store_true", default=S, help="status changes as lines, no bar")


def register(subparsers) -> None:
    from .run import aliases, experiment_clis
    parser = subparsers.add_parser("submit", help="run an experiment on BrainScaleS-2 via the EBRAINS queue",
                                   description="Package an experiment run (config + entry script using the "
                                               "'hardware' backend), submit it with the nmpi client, follow its "
                                               "status, download and check its results.",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_options(parser, with_job=False)
    experiments = parser.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    for name, cli in experiment_clis().items():
        sub = experiments.add_parser(name, aliases=aliases(cli), help=cli.SUMMARY,
                                     description=f"submit: {cli.SUMMARY}", conflict_handler="resolve")
        cli.add_arguments(sub)
        _add_options(sub, with_job=True)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..ebrains.settings import SubmitError
    from ..sweeps.experiments import ExperimentError
    option = lambda name, default=None: getattr(args, name, default)  # noqa: E731
    common = dict(out=option("out", "runs"), poll_seconds=option("poll", 10.0),
                  progress=not option("no_progress", False))
    try:
        if option("resume") is not None:
            from ..ebrains.submission import resume_job
            result = resume_job(option("resume"), **common)
        elif not option("experiment"):
            raise SubmitError("name an experiment (bss2 submit EXPERIMENT ... --collab ID) or --resume ID")
        else:
            result = _submit(args, option, common)
    except (SubmitError, ExperimentError) as err:
        print(f"bss2 submit: {err}", file=sys.stderr)
        return 1
    if result["status"] == "finished":
        print(f"job {result['job_id']} finished; results in {result['folder']}/results")
        for problem in result["provenance_problems"]:
            print(f"  provenance problem: {problem}", file=sys.stderr)
    else:
        print(f"job {result['job_id']} is {result['status']}; follow it with: bss2 submit --resume {result['job_id']}"
              + (f" --out {common['out']}" if common["out"] != "runs" else ""))
    if option("json"):
        print(json.dumps(result, default=str))
    return 0 if result["status"] != "finished" or result["provenance_ok"] else 1


def _submit(args, option, common) -> dict:
    from ..ebrains.settings import SubmitError
    from ..ebrains.submission import submit_experiment
    from ..sweeps.experiments import CONTROLLED, argv_from_namespace, experiment_parser
    experiment = option("experiment")
    if not option("collab"):
        raise SubmitError("--collab ID is required: the EBRAINS collab whose quota the job uses")
    parser = experiment_parser(experiment)
    backend = option("backend")
    default = getattr(next((a for a in parser._actions if a.dest == "backend"), None), "default", None)
    if backend not in (None, default, "hardware"):
        raise SubmitError(f"bss2 submit runs {experiment} on the chip (--backend hardware); drop --backend {backend}")
    argv = argv_from_namespace(parser, args, skip=CONTROLLED + SUBMIT_OPTIONS + ("backend",))
    return submit_experiment(experiment, argv, option("collab"), platform=option("platform", "BrainScaleS-2"),
                             wait=option("wait", False), suite_source=option("suite_source"),
                             job_service=option("job_service"), **common)
