# goip-emulator in a container. The build runs the README's own install step for
# running (`make runtime`, which `make run` and `make test` also run), so CI covers it;
# the image holds the runtime dependencies only, not the test tools.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 goip \
 && install -d -o goip -g goip /home/goip/state

WORKDIR /home/goip/app
COPY --chown=goip:goip . .
USER goip
RUN make runtime

# Profile and port by environment (or override the arguments of `docker run`).
ENV GOIP_PROFILE=default \
    GOIP_HOST=0.0.0.0 \
    GOIP_PORT=8080 \
    GOIP_CLOCK=real \
    GOIP_STATE_DIR=/home/goip/state \
    GOIP_READY_FILE=/tmp/goip-ready
# The device's flash (saved settings, kept inbox, boot count): mount a named volume here
# to keep it across `docker run`s; `docker restart` keeps it anyway.
VOLUME ["/home/goip/state"]
EXPOSE 8080
# The port actually served (`docker run IMAGE --port 9000` included): `serve` writes
# its ready URLs to GOIP_READY_FILE, and the check asks the first one.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD .venv/bin/goip-emulator health --ready-file /tmp/goip-ready

ENTRYPOINT [".venv/bin/goip-emulator", "serve"]
CMD []
