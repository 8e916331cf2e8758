# NEO Discovery Statistics Explorer: one image runs the web app (default) and the nightly exporter (`export`).
# Build:  docker build --build-arg VERSION=0.1.0 --build-arg GIT_COMMIT="$(git rev-parse HEAD)" -t neo-explorer .
#         (without GIT_COMMIT the commit is read from the checkout's .git; /health shows it)
# Run:    docker run -p 8050:8050 neo-explorer            (synthetic demo snapshot; see DEPLOYMENT.md)
# Layers: the locked dependencies (~600 MB) and the package (~2 MB) are separate layers in the runtime image, so a
# code change ships the package layer and the small ones after it, not the dependencies again.

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

# The package itself, non-editable (setuptools is fetched into pip's isolated build environment), into its own
# prefix: /opt/venv stays exactly as the lock file made it, so its copy in the runtime stage stays cached.
COPY pyproject.toml README.md /build/
COPY dashboard_app /build/dashboard_app
RUN pip --python /opt/venv/bin/python install --no-deps --prefix /opt/package /build \
    && test -d /opt/package/lib/python3.11/site-packages/dashboard_app \
    && grep -qx '#!/opt/venv/bin/python' /opt/package/bin/neo-explorer

# The commit being built: the GIT_COMMIT build argument, else HEAD of the checkout's .git (only HEAD, refs and
# packed-refs are in the build context; the `.gi[t]` globs let a context without a .git directory build too: a
# git worktree, whose .git is a file, or an exported tree).
ARG GIT_COMMIT=""
COPY pyproject.toml .gi[t]/HEAD .gi[t]/packed-refs /build/git/
COPY pyproject.toml .gi[t]/refs/heads /build/git/refs/heads/
WORKDIR /build/git
RUN commit="$GIT_COMMIT"; \
    if [ -z "$commit" ] && [ -f HEAD ]; then \
      head=$(cat HEAD); ref=${head#ref: }; \
      if [ "$ref" = "$head" ]; then commit=$head; \
      elif [ -f "$ref" ]; then commit=$(cat "$ref"); \
      elif [ -f packed-refs ]; then commit=$(awk -v ref="$ref" '$2 == ref { print $1 }' packed-refs); fi; \
    fi; \
    echo "${commit:-unknown}" > /build/GIT_COMMIT

# ---------------------------------------------------------------- runtime: only what runs
FROM python:3.11-slim-bookworm AS runtime

# PYTHONDONTWRITEBYTECODE: the root filesystem may be read-only; the .pyc files compiled at install time are used.
# HOME=/tmp: anything that writes per-user files under $HOME lands in the one writable place.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    HOST=0.0.0.0 \
    PORT=8050 \
    DATA_DIR=/data \
    ASSETS_DIR=/app/assets

# Fixed UID 10001 in group 0; what must be writable is group-writable, so an arbitrary UID in group 0 works too.
# No package installer at run time: the base image's pip, setuptools, wheel and ensurepip are removed (the app's
# venv never had them), wherever the base keeps them (/usr/local for the official image, /usr/lib for Debian's).
RUN useradd --uid 10001 --gid 0 --home-dir /app --no-create-home --shell /usr/sbin/nologin neo \
    && mkdir -p /data \
    && chown 10001:0 /data \
    && chmod 0775 /data \
    && for dir in /usr/local/lib/python3.11/site-packages /usr/lib/python3/dist-packages; do \
         rm -rf "$dir"/pip "$dir"/pip-* "$dir"/setuptools "$dir"/setuptools-* "$dir"/wheel "$dir"/wheel-* \
                "$dir"/pkg_resources "$dir"/_distutils_hack "$dir"/distutils-precedence.pth; \
       done \
    && rm -rf /usr/local/bin/pip* /usr/bin/pip* /usr/local/lib/python3.11/ensurepip /usr/lib/python3.11/ensurepip \
    && ! python -m pip --version 2>/dev/null \
    && ! python -m ensurepip --version 2>/dev/null

COPY --from=builder /usr/bin/tini-static /usr/bin/tini
# The dependencies: this layer changes only when requirements.lock does.
COPY --from=builder /opt/venv /opt/venv
# The package: a code change ships this layer (~2 MB), not the one above.
COPY --from=builder /opt/package/lib/python3.11/site-packages/ /opt/venv/lib/python3.11/site-packages/
COPY --from=builder /opt/package/bin/neo-explorer /opt/venv/bin/neo-explorer
WORKDIR /app
COPY assets /app/assets
COPY gunicorn.conf.py entrypoint.sh healthcheck.sh /app/
# entrypoint.sh exports GIT_COMMIT from this file unless the environment sets it
COPY --from=builder /build/GIT_COMMIT /app/GIT_COMMIT

ARG VERSION=dev
ARG GIT_COMMIT=unknown
ARG SOURCE_URL=https://github.com/example/neo-explorer
LABEL org.opencontainers.image.title="NEO Discovery Statistics Explorer" \
      org.opencontainers.image.description="Dash dashboard of near-Earth-object discovery statistics, with its nightly exporter" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.licenses="MIT"

USER 10001:0
VOLUME ["/data"]
EXPOSE 8050
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["/app/healthcheck.sh"]
ENTRYPOINT ["tini", "--", "/app/entrypoint.sh"]
CMD ["serve"]
