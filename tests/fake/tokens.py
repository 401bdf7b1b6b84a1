"""Google's OAuth token endpoint, and the ledger of tokens every role issues and checks.

It checks what Google checks where a wrong request would otherwise pass unnoticed: JWT
signatures from service-account keys (and their issuer, audience and expiry), refresh
tokens, and that a token exchange carries a subject token.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fake.server import Call, Json, Reply, Route, Server, json_reply

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
_KEY: rsa.RSAPrivateKey | None = None


def private_key() -> rsa.RSAPrivateKey:
    """One RSA key for the whole run: generating keys is slow."""
    global _KEY
    if _KEY is None:
        _KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _KEY


@dataclass
class Issuer(Server):
    """Who the fake is (project, service account) and the tokens it issued, with expiries:
    `issue()` makes one (the next of `next_tokens` if any), `valid()` checks one."""

    token_lifetime: int = 3599
    project: str = "demo-project"
    sa_email: str = "runner@demo-project.iam.gserviceaccount.com"
    issued: dict[str, datetime] = field(default_factory=dict)
    next_tokens: list[str] = field(default_factory=list)

    def issue(self, lifetime: int | None = None) -> tuple[str, datetime]:
        token = (
            self.next_tokens.pop(0)
            if self.next_tokens
            else "ya29.fake-" + secrets.token_urlsafe(24)
        )
        expiry = datetime.now(timezone.utc) + timedelta(seconds=lifetime or self.token_lifetime)
        self.issued[token] = expiry
        return token, expiry

    def valid(self, token: str | None) -> bool:
        expiry = self.issued.get(token or "")
        return expiry is not None and expiry > datetime.now(timezone.utc)


@dataclass
class TokenEndpoint(Issuer):
    """`POST /token`, and the credential files that lead google-auth and gcloud to it."""

    refresh_token: str = field(default_factory=lambda: "rt-" + secrets.token_urlsafe(12))

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def service_account_file(self, folder: Path, **extra: str) -> Path:
        """A real service-account key file whose token_uri is this fake."""
        pem = private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        info = {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "test-key-1",
            "private_key": pem.decode(),
            "client_email": self.sa_email,
            "client_id": "1234567890",
            "token_uri": self.token_uri,
            **extra,
        }
        path = folder / "service-account.json"
        path.write_text(json.dumps(info))
        return path

    def external_account_file(self, folder: Path, **extra: str) -> Path:
        """A workload identity federation file: a subject token from a file, exchanged here."""
        subject = folder / "oidc-token"
        subject.write_text("eyJhbGciOiJSUzI1NiJ9.subject.signature")
        config = {
            "type": "external_account",
            "audience": "//iam.googleapis.com/projects/123/locations/global"
            "/workloadIdentityPools/pool/providers/github",
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            "token_url": self.token_uri,
            "credential_source": {"file": str(subject)},
            **extra,
        }
        path = folder / "external-account.json"
        path.write_text(json.dumps(config))
        return path

    def authorized_user_info(self) -> Json:
        """What `gcloud auth application-default login` writes."""
        return {
            "type": "authorized_user",
            "client_id": "764086051850-test.apps.googleusercontent.com",
            "client_secret": "test-secret",
            "refresh_token": self.refresh_token,
            "quota_project_id": self.project,
            "account": "",
            "universe_domain": "googleapis.com",
        }

    def token_routes(self) -> Iterator[Route]:
        yield "POST", re.compile(r"/token"), self._token

    def _token(self, call: Call) -> Reply:
        form = call.form()
        grant = form.get("grant_type")
        if grant == _JWT_BEARER:
            problem = self._check_jwt(form.get("assertion", ""))
        elif grant == "refresh_token":
            problem = None if form.get("refresh_token") == self.refresh_token else "bad refresh"
        elif grant == _TOKEN_EXCHANGE:
            problem = None if form.get("subject_token") else "no subject token"
        else:
            problem = f"unsupported grant {grant}"
        if problem:
            return json_reply(400, {"error": "invalid_grant", "error_description": problem})
        token, _ = self.issue()
        answer = {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        if grant == _TOKEN_EXCHANGE:
            answer["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return json_reply(200, answer)

    def _check_jwt(self, assertion: str) -> str | None:
        try:
            header, payload, signature = assertion.split(".")
            private_key().public_key().verify(
                _unb64(signature),
                f"{header}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            claims = json.loads(_unb64(payload))
        except Exception as exc:
            return f"bad JWT: {type(exc).__name__}"
        # google-auth signs for Google's own token endpoint whatever the key's token_uri says.
        if claims.get("iss") != self.sa_email or claims.get("aud") != GOOGLE_TOKEN_URI:
            return "wrong issuer or audience"
        if claims.get("exp", 0) < time.time():
            return "expired assertion"
        return None


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
