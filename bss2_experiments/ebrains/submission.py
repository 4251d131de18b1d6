"""``bss2 submit`` as functions: package a run, submit it, wait, download, check provenance."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from bss2_experiments.results import Provenance
from bss2_experiments.sweeps.experiments import ExperimentError, experiment_parser, option_actions, parse

from . import jobs
from .job_script import MANIFEST, entry_script
from .settings import Settings, SubmitError, load_settings


def hardware_argv(experiment: str, argv: list[str]) -> list[str]:
    """``argv`` plus ``--backend hardware``, checked against the experiment's parser."""
    parser = experiment_parser(experiment)
    backend = option_actions(parser).get("backend")
    if backend is None or (backend.choices and "hardware" not in backend.choices):
        raise SubmitError(f"experiment {experiment} has no '--backend hardware' option, so it cannot run on a chip")
    full = list(argv) + ["--backend", "hardware"]
    try:
        parse(parser, full)
    except ExperimentError as err:
        raise SubmitError(str(err)) from None
    return full


def submit_experiment(experiment: str, argv: list[str], collab: str, out: str | Path = "runs",
                      platform: str = jobs.DEFAULT_PLATFORM, wait: bool = False, poll_seconds: float = 10.0,
                      progress: bool = True, suite_source: str | None = None, settings: Settings | None = None,
                      job_service: str | None = None, hardware_config: dict | None = None) -> dict:
    """Submit ``bss2 run EXPERIMENT ARGV --backend hardware`` as a job of ``collab``;
    with ``wait``, follow it to the end and fetch its results. Returns a summary dict.
    ``settings`` default to :func:`load_settings` (``job_service`` overriding the URL)."""
    argv = hardware_argv(experiment, argv)
    settings = settings or load_settings(job_service=job_service)
    client = jobs.connect(settings)
    record = jobs.new_record(experiment, argv, collab, platform, settings, out)
    script = Path(record.folder) / "run.py"
    local = Provenance(backend="hardware")
    script.write_text(entry_script({"experiment": experiment, "argv": argv, "submission_id": record.submission_id,
                                    "suite_version": local.suite_version, "git_commit": local.git_commit,
                                    "suite_source": suite_source}))
    job_id = jobs.submit(client, record, script, out, hardware_config)
    print(f"job {job_id} submitted to {platform} (collab {collab}); record {record.path}", file=sys.stderr)
    if not wait:
        return _summary(record, None)
    return _finish(client, record, poll_seconds, progress)


def resume_job(job_id: int, out: str | Path = "runs", poll_seconds: float = 10.0, progress: bool = True,
               settings: Settings | None = None) -> dict:
    """Follow job ``job_id`` (submitted with this ``out``) to the end and fetch its results."""
    record = jobs.find_record(out, job_id)
    if settings is None:
        settings = load_settings(job_service=record.job_service)
        settings.user_info_endpoint = settings.user_info_endpoint or record.user_info_endpoint
    return _finish(jobs.connect(settings), record, poll_seconds, progress)


def _finish(client, record: jobs.JobRecord, poll_seconds: float, progress: bool) -> dict:
    job = jobs.wait(client, record, poll_seconds, progress)
    jobs.download(client, record, job)
    if job["status"] == "error":
        tail = "\n".join((job.get("log") or "").strip().splitlines()[-8:])
        raise SubmitError(f"job {record.job_id} ended in error state; its log is in {Path(record.folder) / 'job.log'}"
                          + (f", last lines:\n{tail}" if tail else ""))
    record.provenance_problems = jobs.check_provenance(record)
    record.save()
    return _summary(record, job)


def _summary(record: jobs.JobRecord, job: dict | None) -> dict:
    manifest = Path(record.folder) / "results" / MANIFEST
    summary = json.loads(manifest.read_text()).get("summary") if manifest.is_file() else None
    return {"job_id": record.job_id, "status": record.status, "experiment": record.experiment,
            "folder": record.folder, "provenance_ok": job is not None and not record.provenance_problems,
            "provenance_problems": record.provenance_problems, "summary": summary}
