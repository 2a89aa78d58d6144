"""Makes users with random passwords through the real libraries, for authd's import test.

Django users are made with make_password for every hasher authd verifies that this Django version has, in
the seeds' custom user model, and exported with Django's own dumpdata. Werkzeug's generate_password_hash and
bare bcrypt hashes go to JSON lines of authd's import shape. passwords.json maps each email to its password
and scheme.

usage: python3 make_users.py OUTDIR
"""
import json
import os
import secrets
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "djangoapp"))

import django
from django.conf import settings

HASHERS = {
    "pbkdf2_sha256": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "pbkdf2_sha1": "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
    "bcrypt_sha256": "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "bcrypt": "django.contrib.auth.hashers.BCryptPasswordHasher",
    "scrypt": "django.contrib.auth.hashers.ScryptPasswordHasher",
}
SCHEMES = {name: "django_" + name for name in HASHERS}

out = sys.argv[1]
media = os.path.join(out, "media")
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "users"],
    AUTH_USER_MODEL="users.Users",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
    MEDIA_ROOT=media,
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

# Only the hashers this Django version has; scrypt arrived in Django 4.0.
import django.contrib.auth.hashers as django_hashers

available = [name for name, path in HASHERS.items() if hasattr(django_hashers, path.rsplit(".", 1)[1])]
settings.PASSWORD_HASHERS = [HASHERS[name] for name in available]

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone

call_command("migrate", run_syncdb=True, verbosity=0)
Users = get_user_model()



def password():
    # Non-ASCII too, so that the encodings agree.
    return "pw-" + secrets.token_urlsafe(12) + "-é"


passwords = {}
for i, name in enumerate(available):
    pw = password()
    email = f"django-{name}@Example.COM"
    user = Users(username=f"user_{name}", email=email, first_name="First", last_name=name,
                 number_phone="555123456"[: 9] + str(i % 10), password=make_password(pw, hasher=name),
                 last_login=timezone.now())
    user.save()
    passwords[email] = {"password": pw, "scheme": SCHEMES[name], "hash": user.password}

admin_pw = password()
admin = Users(username="root", email="root@example.com", is_superuser=True, is_staff=True,
              password=make_password(admin_pw))
admin.save()
passwords["root@example.com"] = {"password": admin_pw, "scheme": "django_pbkdf2_sha256", "is_admin": True}

inactive_pw = password()
Users(username="gone", email="gone@example.com", is_active=False, password=make_password(inactive_pw)).save()
passwords["gone@example.com"] = {"password": inactive_pw, "scheme": "django_pbkdf2_sha256", "inactive": True}

locked = Users(username="nopass", email="nopass@example.com")
locked.set_unusable_password()
locked.save()
passwords["nopass@example.com"] = {"password": "", "scheme": "unusable"}

# argon2i, as Django before 3.2 made them, through argon2-cffi.
import argon2

argon2i_pw = password()
hashed = argon2.PasswordHasher(type=argon2.Type.I, memory_cost=512, time_cost=2, parallelism=2).hash(argon2i_pw)
Users(username="old_argon2", email="old-argon2@example.com", password="argon2" + hashed).save()
passwords["old-argon2@example.com"] = {"password": argon2i_pw, "scheme": "django_argon2"}

# An avatar in MEDIA_ROOT, as the seeds' FileField kept it: a 1x1 PNG.
os.makedirs(os.path.join(media, "avatars"), exist_ok=True)


def png(width, height, rgb):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


with open(os.path.join(media, "avatars", "profile.png"), "wb") as f:
    f.write(png(64, 64, (200, 80, 40)))
pic_pw = password()
Users(username="pic", email="pic@example.com", password=make_password(pic_pw), avatar="avatars/profile.png").save()
passwords["pic@example.com"] = {"password": pic_pw, "scheme": "django_pbkdf2_sha256", "avatar": True}

call_command("dumpdata", "users.Users", output=os.path.join(out, "dumpdata.json"), indent=2, verbosity=0)

# Flask: Werkzeug's generate_password_hash with its default and with pbkdf2:sha1; bare bcrypt in $2a$ and $2b$.
import bcrypt
from werkzeug.security import generate_password_hash


def werkzeug_has_scrypt():  # Werkzeug 2.3 and later
    try:
        generate_password_hash("x", method="scrypt")
        return True
    except ValueError:
        return False


lines = []
for method in ["default", "pbkdf2:sha1:1000"] + (["scrypt"] if werkzeug_has_scrypt() else []):
    pw = password()
    hashed = generate_password_hash(pw) if method == "default" else generate_password_hash(pw, method=method)
    email = f"flask-{method.replace(':', '-')}@example.com"
    scheme = "werkzeug_scrypt" if hashed.startswith("scrypt:") else "werkzeug_pbkdf2"
    lines.append({"external_id": f"flask-{len(lines) + 1}", "email": email, "password_hash": hashed,
                  "username": f"flask_{len(lines) + 1}", "created_at": "2023-05-01T12:00:00Z"})
    passwords[email] = {"password": pw, "scheme": scheme, "hash": hashed}
for prefix in (b"2a", b"2b"):
    pw = password()
    hashed = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=5, prefix=prefix)).decode()
    email = f"bcrypt-{prefix.decode()}@example.com"
    lines.append({"external_id": f"bcrypt-{prefix.decode()}", "email": email, "password_hash": hashed})
    passwords[email] = {"password": pw, "scheme": "bcrypt", "hash": hashed}
with open(os.path.join(out, "users.jsonl"), "w") as f:
    for line in lines:
        f.write(json.dumps(line) + "\n")

with open(os.path.join(out, "passwords.json"), "w") as f:
    json.dump({"django": django.get_version(), "hashers": available, "users": passwords}, f, indent=2)
