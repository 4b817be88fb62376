"""A channel's EOF leaves before the CLOSE that paramiko's transport thread sends when the
server closes the channel at the same moment (sshd drops the whole connection for an EOF
on a channel it already freed). Pure: a real paramiko Channel, a transport that records."""
from __future__ import annotations

import threading

from paramiko import Channel
from paramiko.common import cMSG_CHANNEL_CLOSE, cMSG_CHANNEL_EOF

from dockerfab.ssh.eof import send_eof


class RecordingTransport:
    """What paramiko's Channel needs of a transport to send and close; records what is
    sent and whether the channel's lock was held while it was."""

    clear_to_send_timeout = 1.0

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.clear_to_send = threading.Event()
        self.clear_to_send.set()
        self.sent: list[tuple[bytes, bool]] = []

    def _send_user_message(self, message) -> None:
        kind = message.asbytes()[:1]
        self.sent.append((kind, self.channel.lock.locked()))

    def _unlink_channel(self, chanid: int) -> None:
        pass


def channel() -> tuple[Channel, RecordingTransport]:
    chan = Channel(7)
    transport = RecordingTransport(chan)
    chan.transport = transport  # type: ignore[assignment]
    chan.active = True
    chan.remote_chanid = 70
    return chan, transport


def test_the_eof_is_sent_while_the_channel_lock_is_held():
    chan, transport = channel()
    send_eof(chan)
    assert transport.sent == [(cMSG_CHANNEL_EOF, True)]
    # the server's CLOSE arrives: paramiko answers with CLOSE only, after our EOF
    chan._handle_close(None)
    assert [kind for kind, _ in transport.sent] == [cMSG_CHANNEL_EOF, cMSG_CHANNEL_CLOSE]


def test_a_close_handled_first_leaves_no_eof_after_it():
    chan, transport = channel()
    chan._handle_close(None)  # paramiko sends EOF and CLOSE itself
    send_eof(chan)
    assert [kind for kind, _ in transport.sent] == [cMSG_CHANNEL_EOF, cMSG_CHANNEL_CLOSE]


def test_a_close_racing_the_eof_waits_for_it():
    """The transport thread handles the server's CLOSE while we are sending the EOF: its
    answer cannot be made before our EOF is on its way."""
    chan, transport = channel()
    sending, release = threading.Event(), threading.Event()
    original = transport._send_user_message

    def slow_send(message) -> None:  # the first message (the EOF) takes its time
        if not sending.is_set():
            sending.set()
            release.wait(5)
        original(message)

    transport._send_user_message = slow_send  # type: ignore[method-assign]
    eof = threading.Thread(target=send_eof, args=(chan,))
    eof.start()
    assert sending.wait(5)
    closer = threading.Thread(target=chan._handle_close, args=(None,))
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # waits for the channel's lock, held by the EOF's send
    release.set()
    eof.join(5)
    closer.join(5)
    assert [kind for kind, _ in transport.sent] == [cMSG_CHANNEL_EOF, cMSG_CHANNEL_CLOSE]
