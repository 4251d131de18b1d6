"""Submitting, following and fetching EBRAINS jobs through the official ``nmpi`` client.

Every job has a local folder ``OUT/ebrains/<experiment>/<time>/`` holding the entry script
as sent (``run.py``), the record ``job.json`` (submission id, experiment, command line,
collab, platform, job service, job id, status) and, once finished, the downloaded output
under ``results/``. The record is written before the submission and again as soon as the
job id is known -- before any waiting -- and ``OUT/ebrains/jobs/<id>.json`` points to it,
so ``bss2 submit --resume ID`` picks an interrupted wait back up.

The token is handed to ``nmpi.Client`` and nowhere else: not into the script, the record,
messages or logs. A rejected token would make the client prompt for a password; a
submission is not interactive, so that prompt becomes an error naming the fix.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import json
import os
import re
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests

from .settings import Settings, SubmitError

FINAL_STATES = ("finished", "error")
DEFAULT_PLATFORM = "BrainScaleS-2"
DEFAULT_HARDWARE_CONFIG = {"SOFTWARE_VERSION": "stable"}
"""The BSS2 queue's software environment (brainscales2-demos, nmpi_queue_runner)."""


@dataclass
class JobRecord:
    """What is known locally about one submission."""

    submission_id: str
    experiment: str
    argv: list[str]
    collab: str
    platform: str
    job_service: str | None
    user_info_endpoint: str | None
    folder: str
    job_id: int | None = None
    status: str = "preparing"
    submitted_utc: str | None = None
    finished_utc: str | None = None
    provenance_problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.folder) / "job.json"

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: str | Path) -> "JobRecord":
        return cls(**json.loads(Path(path).read_text()))


def index_path(out: str | Path, job_id: int) -> Path:
    return Path(out) / "ebrains" / "jobs" / f"{job_id}.json"


def find_record(out: str | Path, job_id: int) -> JobRecord:
    """The local record of job ``job_id`` submitted with this ``--out``."""
    path = index_path(out, job_id)
    if not path.is_file():
        raise SubmitError(f"no local record of job {job_id} under {Path(out) / 'ebrains'}: pass the --out the job "
                          "was submitted with")
    return JobRecord.load(Path(json.loads(path.read_text())["folder"]) / "job.json")


@contextlib.contextmanager
def _no_password_prompt():
    """nmpi asks for a password when the token is rejected; refuse instead of blocking."""
    def refuse(*args, **kwargs):
        raise SubmitError("the EBRAINS job service rejected the access token (expired or invalid): get a fresh token "
                          "and set it in EBRAINS_TOKEN or the config file (see bss2 submit --help)")
    original = getpass.getpass
    getpass.getpass = refuse
    try:
        yield
    finally:
        getpass.getpass = original


def connect(settings: Settings):
    """An ``nmpi.Client`` authenticated with the token (client chatter goes to stderr)."""
    import nmpi
    from nmpi import nmpi_user
    urls = {k: v for k, v in (("job_service", settings.job_service),
                              ("user_info_endpoint", settings.user_info_endpoint)) if v}
    umask = os.umask(0o077)  # the client caches the token in nmpi_user.TOKENFILE: private from the start
    with _no_password_prompt(), contextlib.redirect_stdout(sys.stderr):
        try:
            client = nmpi.Client(token=settings.token.reveal(), **urls)
        except SubmitError:
            raise
        except requests.RequestException as err:
            raise SubmitError(f"cannot reach the EBRAINS services ({_describe(err)}): check the network or "
                              "--job-service") from None
        except Exception as err:
            raise SubmitError(f"the EBRAINS services refused the login: {_clean(err)}") from None
        finally:
            os.umask(umask)
    if os.path.exists(nmpi_user.TOKENFILE):
        os.chmod(nmpi_user.TOKENFILE, 0o600)  # an older cache file may have been readable
    return client


def submit(client, record: JobRecord, script: Path, out: str | Path, hardware_config: dict | None = None) -> int:
    """Send the job; write the record and the index as soon as the id is known."""
    tags = ["bss2-suite", f"bss2-{record.submission_id}"]
    with contextlib.redirect_stdout(sys.stderr):
        try:
            uri = client.submit_job(source=str(script), platform=record.platform, collab_id=record.collab,
                                    config=hardware_config or DEFAULT_HARDWARE_CONFIG, command="run.py", tags=tags)
        except requests.RequestException as err:
            raise SubmitError(f"lost the connection while submitting ({_describe(err)}); the job may or may not "
                              f"exist: look for tag bss2-{record.submission_id} in the queue. Record: {record.path}") \
                from None
        except Exception as err:
            raise SubmitError(f"submission refused: {_clean(err)}. Nothing is queued; record: {record.path}") from None
    record.job_id = int(str(uri).rstrip("/").rsplit("/", 1)[-1])
    record.status = "submitted"
    record.submitted_utc = _now()
    record.save()
    index = index_path(out, record.job_id)
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(json.dumps({"folder": record.folder}) + "\n")
    return record.job_id


def wait(client, record: JobRecord, poll_seconds: float = 10.0, progress: bool = True) -> dict:
    """Poll until the job is finished or in error; returns the job with its log. Errors keep
    the id and say how to resume."""
    from tqdm import tqdm
    resume = f"the job id is kept in {record.path}: resume with `bss2 submit --resume {record.job_id}`"
    bar = tqdm(total=0, bar_format="{desc} [{elapsed}]", disable=not progress, file=sys.stderr)
    try:
        status = None
        while True:
            job = _call(client.get_job, record.job_id, with_log=False, what=f"waiting for job {record.job_id}",
                        resume=resume)
            if job["status"] != status:
                status = record.status = job["status"]
                record.save()
                bar.set_description_str(f"job {record.job_id} on {record.platform}: {status}")
                if not progress:
                    print(f"job {record.job_id}: {status}", file=sys.stderr)
            if status in FINAL_STATES:
                break
            bar.refresh()  # the elapsed time
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        raise SubmitError(f"stopped waiting; {resume}") from None
    finally:
        bar.close()
    record.finished_utc = _now()
    record.save()
    return _call(client.get_job, record.job_id, with_log=True, what=f"fetching job {record.job_id}", resume=resume)


def download(client, record: JobRecord, job: dict) -> list[Path]:
    """The job's output files into ``folder/results`` (and its log into ``folder/job.log``)."""
    folder = Path(record.folder)
    (folder / "job.log").write_text(job.get("log") or "")
    files = (job.get("output_data") or {}).get("files") or []
    resume = f"resume with `bss2 submit --resume {record.job_id}`"
    with contextlib.redirect_stdout(sys.stderr):
        try:
            paths = client.download_data(job, local_dir=str(folder / "results")) if files else []
        except OSError as err:  # urllib: URLError, HTTPError, dropped connections
            raise SubmitError(f"downloading the output of job {record.job_id} failed ({err}); {resume}") from None
    return [Path(p) for p in paths]


def check_provenance(record: JobRecord) -> list[str]:
    """Problems with the downloaded results: they must carry this submission's id, come from
    the hardware backend and name their suite version. Empty when all is well."""
    from bss2_experiments import __version__
    from .job_script import MANIFEST
    results = Path(record.folder) / "results"
    manifest_path = results / MANIFEST
    if not manifest_path.is_file():
        return [f"the job returned no {MANIFEST}: its output is not from a bss2 job script"]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    if manifest.get("submission_id") != record.submission_id:
        problems.append(f"{MANIFEST} belongs to submission {manifest.get('submission_id')}, not {record.submission_id}")
    if manifest.get("error"):
        problems.append(f"the experiment failed on the platform: {manifest['error']}")
    if manifest.get("suite_version") != __version__:
        problems.append(f"the job ran bss2-suite {manifest.get('suite_version')}, this is {__version__}")
    for name in manifest.get("results", []):
        path = results / name
        if not path.is_file():
            problems.append(f"{name} is listed in {MANIFEST} but was not downloaded")
            continue
        provenance = json.loads(path.read_text()).get("provenance") or {}
        if provenance.get("backend") != "hardware":
            problems.append(f"{name}: backend {provenance.get('backend')!r}, not 'hardware'")
    if not manifest.get("error") and not manifest.get("results"):
        problems.append("the job saved no result with provenance")
    return problems


def new_record(experiment: str, argv: list[str], collab: str, platform: str, settings: Settings,
               out: str | Path) -> JobRecord:
    """A fresh local folder and record for a submission."""
    from bss2_experiments.results import run_folder
    folder = run_folder(Path(out) / "ebrains", experiment)
    record = JobRecord(uuid.uuid4().hex[:12], experiment, argv, collab, platform, settings.job_service,
                       settings.user_info_endpoint, str(folder))
    record.save()
    return record


def _call(function, *args, what: str, resume: str, **kwargs):
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return function(*args, **kwargs)
    except requests.RequestException as err:
        raise SubmitError(f"lost the connection to the job service while {what} ({_describe(err)}); {resume}") \
            from None
    except SubmitError:
        raise
    except Exception as err:
        message = _clean(err)
        hint = " (the token was rejected: set a fresh one)" if message.startswith(("Error 401", "Error 403")) else ""
        raise SubmitError(f"the job service answered {message}{hint} while {what}; {resume}") from None


def _describe(err: Exception) -> str:
    """The kind of a network error without URLs' query strings."""
    return f"{type(err).__name__}: {re.sub(r'[?][^ )]*', '', str(err))[:200]}"


def _clean(err: Exception) -> str:
    return str(err).strip()[:300] or type(err).__name__


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
