# STAND-IN for the official postgres image, built by scripts/containers/base-images.sh from
# Debian's PostgreSQL 15: the same POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB environment, data
# in /var/lib/postgresql/data, arguments passed to `postgres`. Local only; never pushed.
FROM debian:bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["postgres-entrypoint.sh"]
STOPSIGNAL SIGINT
CMD ["postgres"]
