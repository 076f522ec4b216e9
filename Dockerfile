# One image for the whole platform: every Nameko service and the gateway run from it, only the command
# differs (see docker-compose.yml). The default command starts the gateway.
#
#   docker build -t cohousing-platform:dev .

# -- builder: install the pinned runtime dependencies into a virtualenv that the final stage copies whole -----
FROM python:3.11-slim-bookworm AS builder

# Every runtime dependency ships a manylinux wheel for CPython 3.11 on x86_64, so no compiler is needed here.
# On an architecture without wheels, install build-essential and libffi-dev in this stage only.
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# pip compiles the packages to bytecode here, once: processes (and every healthcheck) then start faster.
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt

# -- final: the same base, the virtualenv, the code, a user without privileges -------------------------------
FROM python:3.11-slim-bookworm

# A fixed uid/gid so that volumes, tmpfs mounts and Kubernetes securityContext can refer to it by number.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8080
# PYTHONUNBUFFERED: log lines reach `docker logs` at once. PYTHONDONTWRITEBYTECODE: the code is owned by root
# and read-only for `app`, so Python must not try to write __pycache__ next to it. GATEWAY_HOST: gunicorn's
# default (127.0.0.1) cannot be reached from outside a container.

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Owned by root on purpose: a compromised process cannot change the code it runs.
COPY services/ services/
COPY gateway/ gateway/
COPY scripts/ scripts/
# Compiled once, here, because `app` cannot write __pycache__ next to code that root owns.
RUN python -m compileall -q services gateway scripts

USER app
EXPOSE 8080
# No HEALTHCHECK here: what "healthy" means differs per service; docker-compose.yml sets one for each
# (scripts/healthcheck.py).
CMD ["gunicorn", "--config", "gateway/gunicorn_conf.py", "gateway.app:create_app()"]
