"""A real SMTP server for the email tests (aiosmtpd), keeping every message it accepts.

Prints "PORT <n>" once it listens on 127.0.0.1. Each accepted message is written to
DIR/<seq>.json (atomically: written aside, then renamed) with the envelope, the raw message and
what Python's own email parser reads from it: headers, the text and HTML parts, and each
attachment's name, type and bytes (hex). Reading it with a parser that is not lettre's is the
point: the test checks what a mail client would see.

Options make it misbehave on purpose: --reject ADDRESS answers 550 to that recipient,
--defer ADDRESS answers 451, --delay-ms N stores each message and then waits before answering
(so a sender can be killed while a message is in flight). --auth USER:PASSWORD requires that login (over plain text:
this server only ever listens on 127.0.0.1).
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, directory, reject, defer, delay_ms):
        self.directory = directory
        self.reject = {a.lower() for a in reject}
        self.defer = {a.lower() for a in defer}
        self.delay = delay_ms / 1000.0
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: no such user here" % address
        if address.lower() in self.defer:
            return "451 4.3.0 <%s>: mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": raw.decode("utf-8", "replace"),
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "text": None,
            "html": None,
            "attachments": [],
        }
        for part in message.walk():
            if part.is_multipart():
                continue
            if part.get_content_disposition() == "attachment":
                record["attachments"].append(
                    {
                        "filename": part.get_filename(),
                        "content_type": part.get_content_type(),
                        "hex": part.get_payload(decode=True).hex(),
                    }
                )
            elif part.get_content_type() == "text/plain" and record["text"] is None:
                record["text"] = part.get_content()
            elif part.get_content_type() == "text/html" and record["html"] is None:
                record["html"] = part.get_content()
        n = next(self.seq)
        path = os.path.join(self.directory, "%06d.json" % n)
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(path + ".tmp", path)
        # Stored first, answered later: a sender killed in between leaves a message that has
        # arrived but that it never saw accepted — the one a crash may duplicate.
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 accepted as %d" % n


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--auth", help="USER:PASSWORD that every session must log in with")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Sink(args.dir, args.reject, args.defer, args.delay_ms)
    loop = asyncio.get_running_loop()
    options = {"hostname": "sink.test"}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            # handled=False: aiosmtpd answers 235 or 535 itself.
            return AuthResult(success=ok, handled=False)

        options.update(
            auth_required=True, auth_require_tls=False, authenticator=authenticator
        )
    server = await loop.create_server(
        lambda: SMTP(handler, **options), "127.0.0.1", 0
    )
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    # Ends when the test closes our standard input (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
