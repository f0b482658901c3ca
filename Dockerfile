# goip-emulator in a container. The build runs the README's own install step
# (`make install`, which `make test` and `make run` also run), so CI covers it.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 goip \
 && install -d -o goip -g goip /home/goip/state

WORKDIR /home/goip/app
COPY --chown=goip:goip . .
USER goip
RUN make install

# Profile and port by environment (or override the arguments of `docker run`).
ENV GOIP_PROFILE=default \
    GOIP_HOST=0.0.0.0 \
    GOIP_PORT=8080 \
    GOIP_CLOCK=real \
    GOIP_STATE_DIR=/home/goip/state
# The device's flash (saved settings, kept inbox, boot count): mount a named volume here
# to keep it across `docker run`s; `docker restart` keeps it anyway.
VOLUME ["/home/goip/state"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD .venv/bin/python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('GOIP_PORT', '8080'), timeout=2)"

ENTRYPOINT [".venv/bin/goip-emulator", "serve"]
CMD []
