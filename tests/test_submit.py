"""bss2 submit through the real nmpi client against a loopback NMPI job service.

The server implements the routes nmpi 0.11 (nmpi/nmpi_user.py) uses: GET of the user-info
endpoint (Client.__init__ -> _get_user_info, bearer token), POST /jobs/ (submit_job),
GET /jobs/<id>?with_log=...&with_comments=true (get_job / job_status) and plain GETs of the
output files' URLs (download_data -> urlretrieve). Like the platform it *runs* the submitted
code: the job's run.py in its own folder, in a subprocess; status submitted -> running ->
finished | error by the exit code; every file the job wrote becomes output data. Faults are
injected per route: an HTTP status (401, 500) or a dropped connection.
"""
import http.server
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bss2_experiments.cli import main
from bss2_experiments.ebrains.job_script import MANIFEST
from bss2_experiments.ebrains.settings import Secret, SubmitError, load_settings
from bss2_experiments.ebrains.submission import hardware_argv, resume_job, submit_experiment

TOKEN = "tok-3f9a1c77e2b54d0c9e8b"

TOY_CLI = '''
"""A toy experiment with a --backend option: saves one result with provenance."""
import json
SUMMARY = "toy"
EXAMPLES = ""
def add_arguments(parser):
    parser.add_argument("--backend", default="emulator", choices=("emulator", "hardware"))
    parser.add_argument("--x", type=float, default=1.0)
    parser.add_argument("--out", default="runs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
def main(args):
    from bss2_experiments.results import Provenance, run_folder, save_result
    folder = run_folder(args.out, "toy")
    summary = {"square": args.x ** 2, "backend": args.backend}
    save_result(folder, "toy", Provenance(backend=args.backend, seed=0), summary, {})
    if args.json:
        print(json.dumps(summary))
    return 0
'''


class NMPIService(http.server.ThreadingHTTPServer):
    """The loopback job service: jobs in memory, their code run in ``root/<id>/``."""

    daemon_threads = True

    def __init__(self, root: Path, env: dict):
        super().__init__(("127.0.0.1", 0), Handler)
        self.root, self.env = root, env
        self.jobs, self.processes, self.faults, self.requests = {}, {}, [], []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def fail(self, method: str, path_prefix: str, what, times: int = 1):
        """The next ``times`` requests ``method path_prefix...`` get status ``what`` or ("drop") no answer."""
        self.faults.extend([(method, path_prefix, what)] * times)

    def start_job(self, job: dict) -> None:
        folder = self.root / str(job["id"])
        folder.mkdir(parents=True)
        (folder / "run.py").write_text(job["code"])
        log = open(folder / "stdout.txt", "w")
        self.processes[job["id"]] = (subprocess.Popen([sys.executable, "run.py"], cwd=folder, env=self.env,
                                                      stdout=log, stderr=subprocess.STDOUT), log)

    def refresh(self, job: dict) -> None:
        process, log = self.processes[job["id"]]
        code = process.poll()
        if code is None:
            job["status"] = "running"
            return
        if job["status"] in ("finished", "error"):
            return
        log.close()
        folder = self.root / str(job["id"])
        job["status"] = "finished" if code == 0 else "error"
        job["log"] = (folder / "stdout.txt").read_text()
        files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in ("run.py", "stdout.txt")]
        job["output_data"] = {"repository": "Fake Drive", "files": [
            {"url": f"{self.url}/files/{job['id']}/{p.relative_to(folder)}", "path": str(p.relative_to(folder)),
             "content_type": "application/json", "size": p.stat().st_size, "hash": None} for p in files]}


class Handler(http.server.BaseHTTPRequestHandler):
    server: NMPIService

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def _fault(self, method):
        for i, (m, prefix, what) in enumerate(self.server.faults):
            if m == method and self.path.startswith(prefix):
                del self.server.faults[i]
                return what
        return None

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self, keycloak_style=False):
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._send(401, {"error": "invalid_token", "error_description": "Token verification failed"}
                   if keycloak_style else {"detail": "Invalid or expired token"})
        return False

    def _handle(self, method):
        self.server.requests.append((method, self.path, dict(self.headers)))
        fault = self._fault(method)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)  # no status line at all: the client sees the connection go
            return
        if fault is not None:
            self._send(fault, {"detail": f"injected failure {fault}"} if fault != 401 else
                       {"detail": "Invalid or expired token"})
            return
        route = urlparse(self.path).path
        if route == "/userinfo" and method == "GET":
            if self._authorised(keycloak_style=True):
                self._send(200, {"sub": "0f1e", "preferred_username": "tester"})
        elif route == "/jobs/" and method == "POST":
            if self._authorised():
                job = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert {"code", "command", "hardware_platform", "collab"} <= set(job)
                job_id = 100 + len(self.server.jobs)
                job.update(id=job_id, resource_uri=f"/jobs/{job_id}", status="submitted", user_id="tester")
                self.server.jobs[job_id] = job
                self.server.start_job(job)
                self._send(201, job)
        elif route.startswith("/jobs/") and method == "GET":
            if self._authorised():
                job = self.server.jobs.get(int(route.rstrip("/").rsplit("/", 1)[-1]))
                if job is None:
                    self._send(404, {"detail": "not found"})
                    return
                self.server.refresh(job)
                self._send(200, {k: v for k, v in job.items() if k != "log" or "with_log=true" in self.path})
        elif route.startswith("/files/") and method == "GET":
            _, _, job_id, rel = route.split("/", 3)
            data = (self.server.root / job_id / rel).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:
            self._send(404, {"detail": f"no route {method} {route}"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


@pytest.fixture
def service(tmp_path, monkeypatch):
    """The loopback service, the toy experiment importable by the jobs, the token in the
    environment, and nmpi's token cache redirected into tmp_path."""
    package = tmp_path / "pkg" / "toy_submit_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "toycli.py").write_text(textwrap.dedent(TOY_CLI))
    monkeypatch.syspath_prepend(str(package.parent))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(package.parent),
                                                                     os.environ.get("PYTHONPATH")]))}
    env.pop("EBRAINS_TOKEN", None)  # a job sees no token
    server = NMPIService(tmp_path / "platform", env)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    import nmpi.nmpi_user
    monkeypatch.setattr(nmpi.nmpi_user, "TOKENFILE", str(tmp_path / "hbptoken"))
    monkeypatch.setenv("EBRAINS_TOKEN", TOKEN)
    monkeypatch.setenv("BSS2_EBRAINS_CONFIG", str(tmp_path / "no-config.json"))
    monkeypatch.setenv("BSS2_NMPI_JOB_SERVICE", server.url)
    monkeypatch.setenv("BSS2_NMPI_USER_INFO", f"{server.url}/userinfo")
    yield server
    server.shutdown()
    server.server_close()
    for process, log in server.processes.values():
        process.wait(timeout=60)
        log.close()


@pytest.fixture
def no_leak(caplog, capfd, tmp_path):
    """After the test: the token is in no log record, no stdout/stderr line and no file the
    suite wrote (only in the nmpi client's own cache, which it writes itself, mode 600)."""
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and nmpi included
    yield
    out, err = capfd.readouterr()
    records = caplog.get_records("call")
    assert any(r.name.startswith("urllib3") for r in records), "the HTTP traffic was logged and captured"
    logged = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in records)
    assert TOKEN not in logged and TOKEN not in out and TOKEN not in err
    cache = tmp_path / "hbptoken"
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != cache:
            assert TOKEN.encode() not in path.read_bytes(), path
    if cache.exists():
        assert cache.stat().st_mode & 0o077 == 0


def _read(capfd):
    """stdout, stderr so far; neither may hold the token."""
    out, err = capfd.readouterr()
    assert TOKEN not in out and TOKEN not in err
    return out, err


def _submit(tmp_path, **kw):
    return submit_experiment("toy_submit_pkg.toycli", ["--x", "3"], "my-collab", out=tmp_path / "runs",
                             poll_seconds=0.05, progress=False, **kw)


def test_submit_wait_download_and_check_provenance(service, tmp_path, no_leak):
    result = _submit(tmp_path, wait=True)
    assert result["status"] == "finished" and result["provenance_ok"], result["provenance_problems"]
    assert result["summary"] == {"square": 9.0, "backend": "hardware"}
    job = service.jobs[result["job_id"]]
    assert job["hardware_platform"] == "BrainScaleS-2" and job["collab"] == "my-collab"
    assert job["command"] == "run.py" and job["hardware_config"] == {"SOFTWARE_VERSION": "stable"}
    assert "bss2-suite" in job["tags"]
    # every request carried the token as a bearer header, never in a URL
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for m, p, h in service.requests
               if not p.startswith("/files/"))
    assert all(TOKEN not in p for _, p, _ in service.requests)
    folder = Path(result["folder"])
    record = json.loads((folder / "job.json").read_text())
    assert record["job_id"] == result["job_id"] and record["status"] == "finished"
    assert record["argv"] == ["--x", "3", "--backend", "hardware"]
    manifest = json.loads((folder / "results" / MANIFEST).read_text())
    assert manifest["submission_id"] == record["submission_id"]
    saved = json.loads((folder / "results" / manifest["results"][0]).read_text())
    assert saved["provenance"]["backend"] == "hardware" and saved["summary"]["square"] == 9.0
    assert (folder / "run.py").read_text() == job["code"]


def test_job_id_is_recorded_before_waiting_and_resume_finishes(service, tmp_path, no_leak):
    result = _submit(tmp_path, wait=False)
    job_id = result["job_id"]
    assert result["status"] == "submitted"
    index = tmp_path / "runs" / "ebrains" / "jobs" / f"{job_id}.json"
    assert json.loads(index.read_text())["folder"] == result["folder"]
    done = resume_job(job_id, out=tmp_path / "runs", poll_seconds=0.05, progress=False)
    assert done["status"] == "finished" and done["provenance_ok"]
    assert done["summary"]["square"] == 9.0


def test_dropped_connection_and_500_keep_the_job_id(service, tmp_path, no_leak):
    service.fail("GET", "/jobs/", "drop")
    with pytest.raises(SubmitError, match=r"lost the connection to the job service while waiting for job (\d+) "
                                          r"\(ConnectionError.*\); the job id is kept in .*job.json: resume with "
                                          r"`bss2 submit --resume \1`"):
        _submit(tmp_path, wait=True)
    job_id = max(service.jobs)
    service.fail("GET", "/jobs/", 500)
    with pytest.raises(SubmitError, match=f"answered Error 500: injected failure 500 while waiting for job {job_id}; "
                                          f"the job id is kept"):
        resume_job(job_id, out=tmp_path / "runs", poll_seconds=0.05, progress=False)
    done = resume_job(job_id, out=tmp_path / "runs", poll_seconds=0.05, progress=False)
    assert done["status"] == "finished" and done["summary"]["square"] == 9.0


def test_rejected_token_is_a_clear_error_not_a_password_prompt(service, tmp_path, no_leak, monkeypatch):
    monkeypatch.setenv("EBRAINS_TOKEN", "wrong-token-0000")
    with pytest.raises(SubmitError, match="rejected the access token.*fresh token"):
        _submit(tmp_path)
    assert not service.jobs and not (tmp_path / "runs").exists()  # nothing queued, nothing recorded
    monkeypatch.setenv("EBRAINS_TOKEN", TOKEN)
    service.fail("POST", "/jobs/", 401)
    with pytest.raises(SubmitError, match="submission refused: Error 401: Invalid or expired token. Nothing is queued"):
        _submit(tmp_path)


def test_job_in_error_state_reports_its_log(service, tmp_path, no_leak, capfd):
    # TTFS for real: on the "platform" here pynn_brainscales is missing, so the job fails
    code = main(["submit", "ttfs", "--pretrain-epochs", "0", "--epochs", "1", "--collab", "c1", "--wait",
                 "--out", str(tmp_path / "runs"), "--poll", "0.05", "--no-progress"])
    assert code == 1
    err = _read(capfd)[1]
    assert "ended in error state; its log is in" in err and "needs pynn_brainscales" in err
    job = service.jobs[max(service.jobs)]
    assert job["status"] == "error"
    record = json.loads(next((tmp_path / "runs" / "ebrains" / "ttfs").glob("*/job.json")).read_text())
    assert record["status"] == "error" and record["job_id"] == job["id"]
    assert record["argv"] == ["--epochs", "1", "--pretrain-epochs", "0", "--backend", "hardware"]


def test_bss2_submit_cli_submits_and_resumes(service, tmp_path, no_leak, capfd):
    out = str(tmp_path / "runs")
    assert main(["submit", "ttfs", "--collab", "c1", "--backend", "nest", "--out", out]) == 1
    assert "drop --backend nest" in _read(capfd)[1]
    assert main(["submit", "ttfs", "--out", out]) == 1
    assert "--collab ID is required" in _read(capfd)[1]
    with pytest.raises(SubmitError, match="--epochs: invalid int value: 'many'"):
        hardware_argv("ttfs", ["--epochs", "many"])
    assert hardware_argv("ttfs", ["--epochs", "3"]) == ["--epochs", "3", "--backend", "hardware"]
    assert main(["submit", "--resume", "999", "--out", out]) == 1
    assert "no local record of job 999" in _read(capfd)[1]
    assert main(["submit", "ttfs", "--epochs", "2", "--collab", "c1", "--out", out, "--json"]) == 0
    lines = _read(capfd)[0].splitlines()
    result = json.loads(lines[-1])
    assert result["status"] == "submitted" and lines[0].startswith(f"job {result['job_id']} is submitted; follow")
    assert service.jobs[result["job_id"]]["code"].count("SUBMISSION") >= 2


def test_token_sources_and_config_permissions(tmp_path, monkeypatch):
    import nmpi.nmpi_user
    monkeypatch.setattr(nmpi.nmpi_user, "TOKENFILE", str(tmp_path / "hbptoken"))
    config = tmp_path / "ebrains.json"
    env = {"BSS2_EBRAINS_CONFIG": str(config)}
    with pytest.raises(SubmitError, match="no EBRAINS access token: set EBRAINS_TOKEN"):
        load_settings(env)
    (tmp_path / "hbptoken").write_text(json.dumps({"someone": {"access_token": "from-cache"}}))
    assert load_settings(env).token.reveal() == "from-cache"
    config.write_text(json.dumps({"token": "from-file", "job_service": "http://h:1"}))
    config.chmod(0o644)
    with pytest.raises(SubmitError, match="may be read by other users.*chmod 600"):
        load_settings(env)
    config.chmod(0o600)
    settings = load_settings(env)
    assert settings.token.reveal() == "from-file" and settings.job_service == "http://h:1"
    settings = load_settings({**env, "EBRAINS_TOKEN": "from-env"})
    assert settings.token.reveal() == "from-env" and settings.token_source == "$EBRAINS_TOKEN"
    assert "from-env" not in repr(settings) and "from-env" not in str(settings.token)
    assert repr(Secret("x")) == "Secret('***')"
