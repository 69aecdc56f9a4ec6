#!/bin/sh
# A stand-in for the image's default base, python:3.11-slim, for machines that cannot reach
# Docker Hub (docs/deployment.md, "Building without Docker Hub"). It debootstraps a minimal
# Debian bookworm (Python 3.11, as in python:3.11-slim) from a Debian mirror, makes a
# virtualenv at /opt/venv and puts its bin first on PATH, so that `pip install` and `python`
# behave as in python:3.11-slim (no "externally-managed-environment" refusal), and imports the
# tree into Docker:
#
#   sudo deploy/build-base-image.sh [TAG]        # TAG defaults to hmis-base:bookworm
#   make docker BASE_IMAGE=hmis-base:bookworm
#
# Needs root (debootstrap, chroot), debootstrap and a running Docker daemon. Set DEBIAN_MIRROR
# to use another mirror. For tests and offline builds only: real deployments use the default.
set -eu

tag=${1:-hmis-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

root=$(mktemp -d "${TMPDIR:-/tmp}/hmis-base.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
chmod 755 "$root"  # it becomes the image's /: mktemp's 0700 would shut out the image's user

# minbase: essential packages and apt. passwd gives the Dockerfile its useradd;
# ca-certificates lets pip reach PyPI over HTTPS; python3-venv brings ensurepip's pip wheel.
debootstrap --variant=minbase --include=passwd,ca-certificates,python3,python3-venv \
    bookworm "$root" "$mirror"

# Certificate authorities this machine trusts beyond Debian's (an HTTPS-intercepting proxy's,
# a company CA) are trusted in the image too, or pip could not reach PyPI through them.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates
fi

chroot "$root" /usr/bin/python3 -m venv /opt/venv
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/tmp/*

# The environment python:3.11-slim sets, with the virtualenv first on PATH; pip is pointed
# at the system's certificates (with the CAs added above) instead of its own bundle.
tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --message "debootstrap bookworm with a virtualenv at /opt/venv (deploy/build-base-image.sh)" \
    - "$tag"
echo "built $tag: make docker BASE_IMAGE=$tag"
