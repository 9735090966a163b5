"""The receiver in docs/integrations.md, run as written against real signed deliveries."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.webhooks import services
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def documented_receiver(tmp_path: Path) -> Iterator[tuple[int, str, Path]]:
    """The doc's Python block in its own process; yields (port, its secret, its output)."""
    code = re.search(r"```python\n(.*?)\n```", DOC.read_text(), flags=re.DOTALL)
    assert code, "docs/integrations.md has no Python receiver"
    script, output = tmp_path / "receiver.py", tmp_path / "receiver.out"
    script.write_text(code.group(1))
    port, secret = free_port(), services.webhook_secret_generate()
    env = {**os.environ, "REHABIT_WEBHOOK_SECRET": secret, "PORT": str(port)}
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, "the receiver did not start"
                time.sleep(0.05)
        yield port, secret, output
    finally:
        process.terminate()
        process.wait(10)


def test_the_documented_receiver_verifies_and_deduplicates(documented_receiver):
    port, secret, output = documented_receiver
    endpoint, _ = services.endpoint_register(
        url=f"http://127.0.0.1:{port}/", events=["plan.updated"], owner=AdminFactory()
    )
    endpoint.secret = secret  # the secret the receiver was given
    endpoint.save(update_fields=["encrypted_secret"])
    data = {"id": "p1", "links": {"self": "https://api.example.com/api/v1/plans/p1/"}}
    message = services.event_publish(
        event_type="plan.updated", patient_id=None, data=data
    )[0]

    first = services.message_deliver(message_id=message.pk)
    assert (first.outcome, first.status_code) == ("success", 204), first.error
    services.message_resend(messages=[message])  # the same webhook-id again
    again = services.message_deliver(message_id=message.pk)
    assert (again.outcome, again.status_code) == ("success", 204)

    # A forged delivery (right headers, wrong signature) is refused.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(
        "POST",
        "/",
        body=message.body,
        headers={
            "webhook-id": "msg_forged",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl",
        },
    )
    assert connection.getresponse().status == 400
    connection.close()

    printed = output.read_text().splitlines()
    handled = [line for line in printed if line.startswith("plan.updated")]
    assert handled == ["plan.updated https://api.example.com/api/v1/plans/p1/"]
