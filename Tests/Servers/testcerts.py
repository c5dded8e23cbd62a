"""Test certificates for the servers in Tests/Servers: a CA of the lab's own
name, leaf certificates for a host name (expired, for another host or
self-signed when a case needs it), and a TLS server context.

Shared by smtp_server.py and oauth_lab.py (imported from the script's own
folder). Each lab names its CA differently: the probe lab trusts both CAs in
one file, and OpenSSL picks a CA by its name.
"""
import datetime
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def write_pem(state, name, cert, key=None):
    """Writes STATE/NAME.crt (and NAME.key); returns both paths."""
    path = os.path.join(state, name)
    with open(path + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        with open(path + ".key", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return path + ".crt", path + ".key"


def make_ca(common_name):
    key = make_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now() - datetime.timedelta(days=1))
            .not_valid_after(now() + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_leaf(ca_cert, ca_key, hostname, not_before, not_after, self_signed=False):
    key = make_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    builder = (x509.CertificateBuilder().subject_name(name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False))
    if self_signed:
        return builder.issuer_name(name).sign(key, hashes.SHA256()), key
    return builder.issuer_name(ca_cert.subject).sign(ca_key, hashes.SHA256()), key


def context(cert_path, key_path, max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx
