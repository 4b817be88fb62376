"""Ending a channel's input so that sshd never sees an EOF for a channel it already freed."""
from __future__ import annotations

from typing import Any

from paramiko import Channel


def send_eof(channel: Channel) -> None:
    """End the channel's input (``shutdown_write``), ordered before any CHANNEL_CLOSE of ours.

    paramiko's ``shutdown_write`` builds the EOF message under the channel's lock but sends
    it after letting go of the lock. When the far end closes the channel meanwhile (a
    command that ends at once), paramiko's transport thread answers with its own CLOSE,
    which can then leave before our EOF; OpenSSH's sshd takes an EOF for a channel it has
    already freed as a protocol error and drops the whole connection ("ieof packet
    referred to nonexistent channel"), taking every other channel with it. Sent under the
    lock, the EOF always leaves first: the close answer needs the same lock to be made.
    A key exchange in progress is waited out before taking the lock, so that the transport
    thread never waits for the lock while we wait for it to finish the exchange.
    """
    internals: Any = channel  # paramiko's own EOF bookkeeping, as shutdown_write uses it
    transport: Any = channel.get_transport()
    if transport is None:
        return
    transport.clear_to_send.wait(transport.clear_to_send_timeout)
    with internals.lock:
        if internals.closed or internals.eof_sent:
            return
        message = internals._send_eof()
        if message is not None:
            transport._send_user_message(message)
