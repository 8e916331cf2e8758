# NEO Discovery Statistics Explorer: one image runs the web app (default) and the nightly exporter (`export`).
# Build:  docker build --build-arg VERSION=0.1.0 --build-arg GIT_COMMIT="$(git rev-parse HEAD)" -t neo-explorer .
# Run:    docker run -p 8050:8050 neo-explorer            (synthetic demo snapshot; see DEPLOYMENT.md)

# ---------------------------------------------------------------- builder: locked dependencies + the package
FROM python:3.11-slim-bookworm AS builder

# tini-static goes into the runtime stage as PID 1; apt stays out of the runtime image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/*

# A venv without pip or setuptools: the base image's pip installs into it (--python), so neither ships.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
RUN python -m venv --without-pip /opt/venv
# Dependencies first (their own layer, rebuilt only when the lock file changes), wheels only: no compiler needed.
# The libraries' own test suites (~150 MB: pandas, scipy, numpy, statsmodels, pyarrow) are not shipped.
COPY requirements.lock /build/requirements.lock
RUN pip --python /opt/venv/bin/python install --no-deps --only-binary=:all: -r /build/requirements.lock \
    && find /opt/venv -type d -name tests -prune -exec rm -rf {} +

# The package itself, non-editable (setuptools is fetched into pip's isolated build environment).
COPY pyproject.toml README.md /build/
COPY dashboard_app /build/dashboard_app
RUN pip --python /opt/venv/bin/python install --no-deps /build

# ---------------------------------------------------------------- runtime: only what runs
FROM python:3.11-slim-bookworm AS runtime

ARG VERSION=0.0.0+unknown
ARG GIT_COMMIT=unknown
ARG SOURCE_URL=https://github.com/example/neo-explorer

LABEL org.opencontainers.image.title="NEO Discovery Statistics Explorer" \
      org.opencontainers.image.description="Dash dashboard of near-Earth-object discovery statistics, with its nightly exporter" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.licenses="MIT"

# PYTHONDONTWRITEBYTECODE: the root filesystem may be read-only; the .pyc files compiled at install time are used.
# HOME=/tmp: gunicorn and Python write their per-user files under $HOME, and /tmp is the one writable place.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    HOST=0.0.0.0 \
    PORT=8050 \
    DATA_DIR=/data \
    ASSETS_DIR=/app/assets \
    GIT_COMMIT=${GIT_COMMIT}

# Fixed UID 10001 in group 0; what must be writable is group-writable, so an arbitrary UID in group 0 works too.
RUN useradd --uid 10001 --gid 0 --home-dir /app --no-create-home --shell /usr/sbin/nologin neo \
    && mkdir -p /data \
    && chown 10001:0 /data \
    && chmod 0775 /data

COPY --from=builder /usr/bin/tini-static /usr/bin/tini
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY assets /app/assets
COPY gunicorn.conf.py entrypoint.sh healthcheck.sh /app/

USER 10001:0
VOLUME ["/data"]
EXPOSE 8050
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["/app/healthcheck.sh"]
ENTRYPOINT ["tini", "--", "/app/entrypoint.sh"]
CMD ["serve"]
