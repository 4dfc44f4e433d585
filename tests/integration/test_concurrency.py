"""Concurrent writers through the service layer: version numbers stay unique and gap-free, and
racing first pushes of a new model all succeed. Runs on SQLite and PostgreSQL (``services``)."""

import threading
from collections.abc import Callable
from pathlib import Path

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.wiring import Services
from tests.factories import make_draft, write_model_dir

THREADS = 8
PUSHES_PER_THREAD = 5
JOIN_TIMEOUT = 120.0


def run_together(work: Callable[[int], None], count: int = THREADS) -> list[BaseException]:
    """Run ``work(i)`` for i in range(count) in threads released at the same moment; returns
    the errors raised. Fails if any thread is still running after the timeout."""
    barrier = threading.Barrier(count, timeout=JOIN_TIMEOUT)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            with lock:
                errors.append(error)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return errors


def push_through_service(services: Services, name: str, content: bytes, actor: str) -> int:
    uploads = services.uploads
    draft = make_draft({"model.bin": content})
    session = uploads.start_upload(name, draft, actor=actor)
    for digest in session.missing:
        uploads.receive_blob(session.id, digest, [content])
    return uploads.commit_upload(session.id, actor=actor).version


def test_concurrent_pushes_to_one_model_get_gap_free_numbers(services: Services):
    services.registry.create_model("shared", actor="setup")
    numbers: list[int] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for push in range(PUSHES_PER_THREAD):
            content = f"thread {index} push {push}".encode()
            number = push_through_service(services, "shared", content, f"user{index}")
            with lock:
                numbers.append(number)

    errors = run_together(work)
    assert errors == []
    total = THREADS * PUSHES_PER_THREAD
    assert sorted(numbers) == list(range(1, total + 1))
    listed = services.registry.list_versions("shared", limit=1000).items
    assert [v.version for v in listed] == list(range(total, 0, -1))
    assert services.registry.get_model("shared").latest_version == total


def test_each_version_keeps_its_own_content(services: Services):
    numbers: dict[int, bytes] = {}
    lock = threading.Lock()

    def work(index: int) -> None:
        content = f"content of writer {index}".encode()
        number = push_through_service(services, "contents", content, f"user{index}")
        with lock:
            numbers[number] = content

    services.registry.create_model("contents", actor="setup")
    assert run_together(work) == []
    for number, content in numbers.items():
        version = services.registry.get_version("contents", number)
        assert b"".join(services.uploads.open_blob(version.files[0].digest)) == content


def test_concurrent_first_pushes_of_a_new_model_all_succeed(services: Services, tmp_path: Path):
    folders = [
        write_model_dir(tmp_path / f"m{i}", {"model.bin": f"first push {i}".encode()})
        for i in range(THREADS)
    ]
    numbers: list[int] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        client = Client(
            transport=EmbeddedTransport(services, user=f"user{index}"),
            cache_dir=tmp_path / f"cache{index}",
        )
        version = client.push("brand-new", folders[index])
        with lock:
            numbers.append(version.version)

    errors = run_together(work)
    assert errors == []
    assert sorted(numbers) == list(range(1, THREADS + 1))
    assert [m.name for m in services.registry.search_models().items] == ["brand-new"]
    events = services.registry.list_events("brand-new", limit=1000).items
    assert [e.action for e in events].count("model.created") == 1
    assert [e.action for e in events].count("version.created") == THREADS


def test_concurrent_pushes_of_identical_content_all_succeed(services: Services):
    def work(index: int) -> None:
        push_through_service(services, "same", b"identical bytes", f"user{index}")

    errors = run_together(work)
    assert errors == []
    versions = services.registry.list_versions("same", limit=1000).items
    assert sorted(v.version for v in versions) == list(range(1, THREADS + 1))
    assert len({v.files[0].digest for v in versions}) == 1
