"""The registry package and retry.py: pure decisions, then real pypiserver / proxy / pip round trips."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import urllib.error
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_releaseplan import process, registry
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.registry import (
    Registry,
    already_uploaded,
    classify,
    classify_exception,
    parse_registry,
    published_files,
    published_versions,
    upload,
    wait_visible,
)
from pytest_releaseplan.retry import backoff_delays, retry
from tests.servers import (
    AUTH_PASSWORD,
    AUTH_USER,
    auth_pypiserver,
    faulty_proxy,
    free_port,
    pypiserver,
    pypiserver_factory,
)

__all__ = ["auth_pypiserver", "faulty_proxy", "pypiserver", "pypiserver_factory"]

NAME = "rp-demo"
VERSION = "0.1.0"


def no_sleep(_delay: float) -> None:
    pass


# --- building real distributions -------------------------------------------------------


def build_dists(workdir: Path, name: str = NAME, version: str = VERSION) -> list[Path]:
    """A tiny real wheel + sdist, built offline by uv's built-in backend."""
    module = name.replace("-", "_").replace(".", "_").lower()
    pkg = workdir / "src-pkg"
    (pkg / "src" / module).mkdir(parents=True)
    (pkg / "src" / module / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["uv_build>=0.8,<1"]
            build-backend = "uv_build"

            [project]
            name = "{name}"
            version = "{version}"
            """
        )
    )
    out = workdir / "dist"
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_CACHE": "1"}
    subprocess.run(
        [sys.executable, "-m", "uv", "build", "--quiet", "--out-dir", str(out), str(pkg)],
        check=True, env=env, timeout=60, capture_output=True,
    )  # fmt: skip
    files = sorted(p for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz")))
    assert len(files) == 2, files
    return files


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_dists(tmp_path_factory.mktemp("dists"))


@pytest.fixture
def twine_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: no inherited credentials, no keyring lookups."""
    for key in ("TWINE_USERNAME", "TWINE_PASSWORD", "TWINE_REPOSITORY_URL", "TWINE_REPOSITORY"):
        monkeypatch.delenv(key, raising=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return env


@pytest.fixture
def anon_env(twine_env: dict[str, str]) -> dict[str, str]:
    """Dummy credentials: twine insists on some even when the server needs none."""
    return {**twine_env, "TWINE_USERNAME": "anon", "TWINE_PASSWORD": "anon"}


def http_registry(url: str, tmp_path: Path) -> Registry:
    return parse_registry(url, None, tmp_path)


# --- retry / backoff -------------------------------------------------------------------


def test_backoff_delays_are_full_jitter_within_the_capped_exponential() -> None:
    delays = backoff_delays(6, base=0.5, cap=4.0, rng=random.Random(1))
    assert len(delays) == 6
    for i, delay in enumerate(delays):
        assert 0.0 <= delay <= min(4.0, 0.5 * 2**i)
    assert backoff_delays(6, 0.5, 4.0, random.Random(1)) == delays  # deterministic given rng
    assert backoff_delays(0) == []
    assert backoff_delays(-2) == []


def test_backoff_upper_bounds_grow_then_cap() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    assert backoff_delays(6, base=0.5, cap=3.0, rng=Top()) == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_retry_retries_transient_failures_then_succeeds() -> None:
    calls: list[int] = []
    slept: list[float] = []
    seen: list[tuple[int, str]] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("reset")
        return "ok"

    result = retry(
        flaky, retries=3, is_transient=lambda e: isinstance(e, ConnectionError),
        sleep=slept.append, on_retry=lambda n, d, e: seen.append((n, str(e))),
        rng=random.Random(0),
    )  # fmt: skip
    assert result == "ok"
    assert len(calls) == 3
    assert len(slept) == 2
    assert seen == [(1, "reset"), (2, "reset")]


def test_retry_gives_up_after_retries_and_never_retries_permanent_failures() -> None:
    calls: list[int] = []

    def always(exc: Exception) -> None:
        calls.append(1)
        raise exc

    with pytest.raises(ConnectionRefusedError):
        retry(lambda: always(ConnectionRefusedError()), retries=2,
              is_transient=lambda e: True, sleep=no_sleep)  # fmt: skip
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(ValueError, match="403"):
        retry(lambda: always(ValueError("403")), retries=5,
              is_transient=lambda e: False, sleep=no_sleep)  # fmt: skip
    assert len(calls) == 1


# --- classification --------------------------------------------------------------------

TWINE_503 = """Uploading rp_demo-0.1.0-py3-none-any.whl
WARNING  Received "503: Service Unavailable"
         Package upload appears to have failed. Retry 5 of 5.
ERROR    HTTPError: 503 Service Unavailable from http://127.0.0.1:1/
"""
TWINE_403 = "ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:1/\n         Forbidden\n"
TWINE_401 = "ERROR    HTTPError: 401 Unauthorized from https://upload.pypi.org/legacy/\n"
TWINE_429 = "ERROR    HTTPError: 429 Too Many Requests from http://127.0.0.1:1/\n"
TWINE_400 = "ERROR    HTTPError: 400 Bad Request from http://x/\n   Invalid distribution metadata\n"
TWINE_EXISTS = """INFO     Response from http://127.0.0.1:1/:
         400 Bad Request
INFO     Package 'rp_demo-0.1.0.tar.gz' already exists!
ERROR    HTTPError: 400 Bad Request from http://127.0.0.1:1/
"""
REFUSED = (
    "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=9): Max "
    "retries exceeded with url: / (Caused by NewConnectionError(...: [Errno 111] Connection refused"
)
RESET = "requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104))"
NO_CREDS = "ERROR    NonInteractive: Credential not found for username."


@pytest.mark.parametrize(
    ("stdout", "stderr", "expected"),
    [
        (TWINE_503, "", Category.TRANSIENT),
        (TWINE_429, "", Category.TRANSIENT),
        ("Uploading x.whl\n", REFUSED, Category.TRANSIENT),
        ("Uploading x.whl\n", RESET, Category.TRANSIENT),
        ("", "ReadTimeoutError: Read timed out. (read timeout=10)", Category.TRANSIENT),
        (TWINE_403, "", Category.BLOCKING),
        (TWINE_401, "", Category.BLOCKING),
        (TWINE_400, "", Category.BLOCKING),
        (NO_CREDS, "", Category.BLOCKING),
        ("ERROR    InvalidDistribution: Unknown distribution format", "", Category.BLOCKING),
    ],
)
def test_classify_twine_output(stdout: str, stderr: str, expected: Category) -> None:
    assert classify(process.Result(("twine",), 1, stdout, stderr)) is expected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
            Category.TRANSIENT,
        ),
        (urllib.error.HTTPError("http://x/", 503, "Unavailable", None, None), Category.TRANSIENT),  # type: ignore[arg-type]
        (urllib.error.HTTPError("http://x/", 429, "Slow down", None, None), Category.TRANSIENT),  # type: ignore[arg-type]
        (urllib.error.HTTPError("http://x/", 401, "Unauthorized", None, None), Category.BLOCKING),  # type: ignore[arg-type]
        (urllib.error.HTTPError("http://x/", 403, "Forbidden", None, None), Category.BLOCKING),  # type: ignore[arg-type]
        (TimeoutError("timed out"), Category.TRANSIENT),
        (ConnectionResetError(104, "reset"), Category.TRANSIENT),
        (
            process.ProcessError(process.Result(("twine",), -9, "", ""), None, timed_out=True),
            Category.TRANSIENT,
        ),
        (
            process.ProcessError(process.Result(("twine",), 1, TWINE_403, ""), None),
            Category.BLOCKING,
        ),
        (ValueError("bad"), Category.BLOCKING),
    ],
)
def test_classify_exceptions(exc: BaseException, expected: Category) -> None:
    assert classify_exception(exc) is expected
    assert classify(exc) is expected


def test_already_exists_answers_are_recognised_only_with_their_status() -> None:
    assert registry.reports_already_exists(TWINE_EXISTS)
    assert not registry.reports_already_exists(TWINE_403 + "already exists")
    assert not registry.reports_already_exists(TWINE_400)


def test_already_uploaded_compares_file_names() -> None:
    published = {"rp_demo-0.1.0.tar.gz", "rp_demo-0.1.0-py3-none-any.whl"}
    assert already_uploaded("rp_demo-0.1.0.tar.gz", published)
    assert already_uploaded("/tmp/dist/rp_demo-0.1.0-py3-none-any.whl", published)
    assert not already_uploaded("rp_demo-0.1.1.tar.gz", published)


def test_fix_lines_by_category() -> None:
    assert "TWINE_USERNAME/TWINE_PASSWORD" in registry.fix_lines(Category.BLOCKING, 403, "U")[0]
    assert "rerun the same command" in registry.fix_lines(Category.TRANSIENT, 503, "U")[0]


def test_evidence_tail_strips_colour_and_tracebacks_and_masks() -> None:
    out = "\x1b[31mERROR   \x1b[0m HTTPError: 503 from http://user:hunter22@host/\n"
    err = "Traceback (most recent call last):\n  File 'x'\nConnectionError: refused\n"
    assert registry.evidence_tail(out, err) == [
        "ERROR    HTTPError: 503 from http://***@host/",
        "ConnectionError: refused",
    ]


def test_evidence_tail_reduces_html_error_pages_to_text() -> None:
    out = """INFO     password: <hidden>
INFO     <!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
             <html><head><style>
                 body {background-color: #fff;
                       padding: 15px; margin: 15px;}
             </style></head>
             <body><h1>Error: 403 Forbidden</h1></body></html>
ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:1/
"""
    assert registry.evidence_tail(out, "") == [
        "INFO     password: <hidden>",
        "  INFO",
        "  Error: 403 Forbidden",
        "ERROR    HTTPError: 403 Forbidden from http://127.0.0.1:1/",
    ]


# --- parsing the registry config -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
        ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
        ("https://pkgs.example.com/legacy/", "https://pkgs.example.com/simple/"),
        ("https://gl.example.com/api/v4/projects/7/packages/pypi",
         "https://gl.example.com/api/v4/projects/7/packages/pypi/simple/"),
    ],
)  # fmt: skip
def test_index_url_is_derived_from_the_upload_url(url: str, index: str, tmp_path: Path) -> None:
    reg = parse_registry(url, None, tmp_path)
    assert reg.upload_url == url
    assert reg.directory is None
    assert reg.index_url == index


def test_explicit_index_url_wins(tmp_path: Path) -> None:
    reg = parse_registry("http://h/", "https://mirror.example/simple", tmp_path)
    assert reg.index_url == "https://mirror.example/simple/"


def test_directory_registry_relative_to_root(tmp_path: Path) -> None:
    reg = parse_registry("file:dist-registry", None, tmp_path)
    assert reg.is_directory
    assert reg.directory == (tmp_path / "dist-registry").resolve()
    assert reg.index_url == (tmp_path / "dist-registry" / "simple").resolve().as_uri() + "/"
    absolute = parse_registry((tmp_path / "abs").as_uri(), None, Path("/elsewhere"))
    assert absolute.directory == (tmp_path / "abs").resolve()


@pytest.mark.parametrize(
    "bad", ["", "ftp://h/x", "pypi", "file:", "file://remote.host/x", "http://"]
)
def test_bad_registry_is_a_config_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        parse_registry(bad, None, tmp_path)


def test_credentials_in_the_url_are_masked_and_never_on_the_command_line(tmp_path: Path) -> None:
    reg = parse_registry("https://me:Tok3n-Very-Secret@pkgs.example/", None, tmp_path)
    assert "Tok3n-Very-Secret" not in repr(reg)
    assert "Tok3n-Very-Secret" not in str(reg)
    assert reg.index_url == "https://me:Tok3n-Very-Secret@pkgs.example/simple/"
    argv = registry.twine_argv(reg.upload_url or "", [Path("x.whl")])
    assert "Tok3n-Very-Secret" not in " ".join(argv)
    assert "https://pkgs.example/" in argv
    env = registry.twine_env(reg.upload_url or "", {})
    assert (env["TWINE_USERNAME"], env["TWINE_PASSWORD"]) == ("me", "Tok3n-Very-Secret")
    assert "Tok3n-Very-Secret" not in registry.mask(
        "see https://me:Tok3n-Very-Secret@x/ Tok3n-Very-Secret"
    )


# --- real pypiserver -------------------------------------------------------------------


def test_upload_then_published_and_idempotent_rerun(
    pypiserver, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    reg = http_registry(pypiserver.url, tmp_path)
    assert reg.index_url == pypiserver.simple
    assert published_files(reg, NAME) == set()  # 404: unknown project

    first = upload(reg, dists, retries=0, timeout=60, env=anon_env)
    assert sorted(first.uploaded) == sorted(p.name for p in dists)
    assert first.skipped == ()
    assert published_files(reg, NAME) == {p.name for p in dists}
    assert published_versions(reg, "RP_Demo") == {Version(VERSION)}
    assert sorted(p.name for p in pypiserver.packages_dir.iterdir()) == sorted(
        p.name for p in dists
    )

    second = upload(reg, dists, retries=0, timeout=60, env=anon_env)
    assert second.uploaded == ()
    assert sorted(second.skipped) == sorted(p.name for p in dists)

    assert wait_visible(reg, NAME, VERSION, timeout=5) >= 0.0


def test_server_refusing_an_existing_file_counts_as_already_uploaded(
    pypiserver, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    upload(http_registry(pypiserver.url, tmp_path), dists[:1], retries=0, timeout=60, env=anon_env)
    # a stale view of the index (e.g. a CDN) that lists nothing: twine uploads, the server
    # answers "exists"
    (tmp_path / "stale-index").mkdir()
    reg = parse_registry(pypiserver.url, "file:stale-index", tmp_path)
    result = upload(reg, dists, retries=0, timeout=60, env=anon_env)
    assert result.skipped == (dists[0].name,)
    assert result.uploaded == (dists[1].name,)


def test_wait_visible_times_out_with_a_transient_failure(
    pypiserver, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    reg = http_registry(pypiserver.url, tmp_path)
    upload(reg, dists, retries=0, timeout=60, env=anon_env)
    with pytest.raises(CheckFailure) as info:
        wait_visible(reg, NAME, "9.9.9", timeout=0.4, interval=0.1)
    failure = info.value
    assert failure.category is Category.TRANSIENT
    assert "rp-demo 9.9.9 never became visible" in failure.what
    assert pypiserver.simple in failure.what
    assert "within 0.4 s" in failure.what
    assert any("versions listed: 0.1.0" in line for line in failure.evidence)
    assert any("index-wait" in line for line in failure.fix)


def test_wait_visible_against_an_unreachable_index_fails_transient(tmp_path: Path) -> None:
    reg = http_registry(f"http://127.0.0.1:{free_port()}/", tmp_path)
    with pytest.raises(CheckFailure) as info:
        wait_visible(reg, NAME, VERSION, timeout=0.3, interval=0.1)
    assert info.value.category is Category.TRANSIENT
    assert any("Connection refused" in line or "refused" in line for line in info.value.evidence)


def test_reading_an_unreachable_index_is_transient(tmp_path: Path) -> None:
    reg = http_registry(f"http://127.0.0.1:{free_port()}/", tmp_path)
    with pytest.raises(CheckFailure) as info:
        published_files(reg, NAME, timeout=2)
    assert info.value.category is Category.TRANSIENT
    assert info.value.fix[0].startswith("rerun the same command")


# --- fault injection -------------------------------------------------------------------


def test_503_twice_then_upload_succeeds(
    pypiserver, faulty_proxy, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    proxy = faulty_proxy(pypiserver.url, fail=2, status=503)
    reg = parse_registry(proxy.url, pypiserver.simple, tmp_path)
    result = upload(reg, dists, retries=3, timeout=60, env=anon_env, sleep=no_sleep)
    assert sorted(result.uploaded) == sorted(p.name for p in dists)
    assert proxy.failed == 2
    assert proxy.counts["POST"] == 4
    assert published_versions(reg, NAME) == {Version(VERSION)}


@pytest.mark.parametrize(("mode", "status"), [("reset", 0), ("status", 429)])
def test_transient_failures_are_retried_by_us(
    mode: str, status: int, pypiserver, faulty_proxy, dists: list[Path],
    anon_env: dict[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    proxy = faulty_proxy(pypiserver.url, fail=2, status=status, mode=mode)
    reg = parse_registry(proxy.url, None, tmp_path)  # reads go through the proxy too
    retried: list[int] = []
    slept: list[float] = []
    result = upload(
        reg, dists, retries=3, timeout=60, env=anon_env, sleep=slept.append,
        on_retry=lambda n, d, e: retried.append(n),
    )  # fmt: skip
    assert sorted(result.uploaded) == sorted(p.name for p in dists)
    assert result.retries == 2
    assert retried == [1, 2]
    assert len(slept) == 2
    assert proxy.counts["POST"] == 4
    assert proxy.counts["GET"] >= 1


def test_persistent_503_fails_transient_with_fix(
    pypiserver, faulty_proxy, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    proxy = faulty_proxy(pypiserver.url, fail=10_000, status=503)
    reg = parse_registry(proxy.url, pypiserver.simple, tmp_path)
    slept: list[float] = []
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=1, timeout=60, env=anon_env, sleep=slept.append)
    failure = info.value
    assert failure.category is Category.TRANSIENT
    assert "(HTTP 503), after 2 attempts" in failure.what
    assert failure.fix[0].startswith("rerun the same command")
    assert any("503" in line for line in failure.evidence)
    assert len(slept) == 1
    assert proxy.counts["POST"] == 10  # 2 runs of twine, each trying 5 times
    assert published_files(http_registry(pypiserver.url, tmp_path), NAME) == set()


def test_4xx_is_never_retried(
    pypiserver, faulty_proxy, dists: list[Path], anon_env: dict[str, str], tmp_path: Path
) -> None:
    proxy = faulty_proxy(pypiserver.url, fail=10_000, status=400)
    reg = parse_registry(proxy.url, pypiserver.simple, tmp_path)
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=3, timeout=60, env=anon_env, sleep=no_sleep)
    assert info.value.category is Category.BLOCKING
    assert proxy.counts["POST"] == 1


# --- authentication and secrets --------------------------------------------------------


@pytest.mark.parametrize("authenticate", ["update,download,list", "update"])
def test_wrong_password_is_blocking_and_never_shown(
    authenticate: str, pypiserver_factory, dists: list[Path], twine_env: dict[str, str],
    tmp_path: Path,
) -> None:  # fmt: skip
    """Fails reading the index (list needs auth) or in twine (only upload needs auth)."""
    server = pypiserver_factory(auth=True, authenticate=authenticate)
    wrong = "Wr0ng-Pa55-do-not-print"
    reg = parse_registry(server.url_with_auth(password=wrong), None, tmp_path)
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=3, timeout=60, env=twine_env, sleep=no_sleep)
    failure = info.value
    assert failure.category is Category.BLOCKING
    text = "\n".join([str(failure), failure.render(), repr(failure.evidence), repr(reg)])
    assert wrong not in text
    assert AUTH_PASSWORD not in text
    assert any("TWINE_USERNAME/TWINE_PASSWORD" in line for line in failure.fix)
    assert "(HTTP 403)" in failure.what or "(HTTP 401)" in failure.what
    expected = "upload of" if authenticate == "update" else "cannot read the package index"
    assert failure.what.startswith(expected)


def test_wrong_password_from_the_environment_is_never_shown(
    auth_pypiserver, dists: list[Path], twine_env: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    wrong = "Env-Wr0ng-Pa55-xyz"
    monkeypatch.setenv("TWINE_USERNAME", AUTH_USER)
    monkeypatch.setenv("TWINE_PASSWORD", wrong)
    env = {**twine_env, "TWINE_USERNAME": AUTH_USER, "TWINE_PASSWORD": wrong}
    reg = parse_registry(auth_pypiserver.url, None, tmp_path)
    with pytest.raises(CheckFailure) as info:
        upload(reg, dists, retries=3, timeout=60, env=env, sleep=no_sleep)
    assert info.value.category is Category.BLOCKING
    assert wrong not in info.value.render()


def test_right_credentials_in_the_url_upload_and_read(
    auth_pypiserver, dists: list[Path], twine_env: dict[str, str], tmp_path: Path
) -> None:
    reg = parse_registry(auth_pypiserver.url_with_auth(), None, tmp_path)
    result = upload(reg, dists, retries=0, timeout=60, env=twine_env)
    assert len(result.uploaded) == 2
    assert published_versions(reg, NAME) == {Version(VERSION)}
    assert AUTH_PASSWORD not in repr(reg)
    # a reader without userinfo falls back to TWINE_* after the 401
    plain = parse_registry(auth_pypiserver.url, None, tmp_path)
    env = {**twine_env, "TWINE_USERNAME": AUTH_USER, "TWINE_PASSWORD": AUTH_PASSWORD}
    assert published_versions(plain, NAME, env=env) == {Version(VERSION)}
    with pytest.raises(CheckFailure) as info:
        published_versions(plain, NAME, env=twine_env)
    assert info.value.category is Category.BLOCKING
    assert any("TWINE_USERNAME" in line for line in info.value.fix)


# --- the directory registry ------------------------------------------------------------


def pip_install(tmp_path: Path, *source: str) -> Path:
    target = tmp_path / f"target-{len(list(tmp_path.glob('target-*')))}"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-cache-dir",
         "--target", str(target), *source, f"{NAME}=={VERSION}"],
        check=True, env=env, timeout=120, capture_output=True,
    )  # fmt: skip
    return target


def test_directory_registry_is_pip_installable(dists: list[Path], tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    reg = parse_registry("file:registry", None, root)
    assert published_files(reg, NAME) == set()
    result = upload(reg, dists, retries=0, timeout=60)
    assert sorted(result.uploaded) == sorted(p.name for p in dists)
    directory = root / "registry"
    for dist in dists:
        assert (directory / "simple" / NAME / dist.name).read_bytes() == dist.read_bytes()
    assert published_versions(reg, NAME) == {Version(VERSION)}
    assert wait_visible(reg, NAME, VERSION, timeout=1) >= 0.0

    again = upload(reg, dists, retries=0, timeout=60)
    assert again.uploaded == ()
    assert sorted(again.skipped) == sorted(p.name for p in dists)
    assert not list(directory.rglob(".tmp-*"))

    via_index = pip_install(tmp_path, "--index-url", reg.index_url)
    assert (via_index / "rp_demo" / "__init__.py").is_file()
    via_find_links = pip_install(tmp_path, "--no-index", "--find-links", str(directory))
    assert (via_find_links / "rp_demo" / "__init__.py").is_file()


def test_directory_registry_index_pages(dists: list[Path], tmp_path: Path) -> None:
    other = build_dists(tmp_path / "other", name="rp.other", version="2.0")
    reg = parse_registry(f"file:{tmp_path / 'reg'}", None, tmp_path)
    upload(reg, [*dists, *other], retries=0, timeout=60)
    simple = (tmp_path / "reg" / "simple" / "index.html").read_text()
    assert 'href="rp-demo/"' in simple
    assert 'href="rp-other/"' in simple
    page = (tmp_path / "reg" / "simple" / "rp-other" / "index.html").read_text()
    assert "#sha256=" in page
    assert published_versions(reg, "RP.Other") == {Version("2.0")}
    flat = registry.anchor_filenames((tmp_path / "reg" / "index.html").read_text())
    assert set(flat) == {p.name for p in [*dists, *other]}


def test_not_a_distribution_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("x")
    reg = parse_registry("file:reg", None, tmp_path)
    with pytest.raises(CheckFailure) as info:
        upload(reg, [bogus], retries=0, timeout=10)
    assert info.value.category is Category.BLOCKING
