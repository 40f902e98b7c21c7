# A throwaway PostgreSQL server for the PgStore tests and benchmark; sourced by .ci/run.
#
# `cpor_pg_start` installs PostgreSQL from Debian's packages if its server binaries are absent,
# creates a cluster in a fresh temporary directory, starts it listening only on a Unix socket
# in that directory, exports CPOR_PG_URL and CPOR_PG_RESTART (a command that restarts that
# server, for the restart fault test of tests/pg_faults.rs), and traps EXIT to stop the server and remove the
# directory, so the server stops however the script ends. If CPOR_PG_URL is already set, that
# server is used and nothing is started (set CPOR_PG_RESTART too, or the restart test is
# ignored and .ci/run fails).
#
# The cluster trades durability for speed (fsync and synchronous_commit off): it lives only as
# long as the CI run.

cpor_pg_bindir() {
    # The newest version installed; none is an empty answer, not a failure.
    local dir found=""
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
            found=$dir
        fi
    done
    echo "$found"
}

cpor_pg_stop() {
    if [[ -n "${CPOR_PG_DIR:-}" && -d "$CPOR_PG_DIR" ]]; then
        if [[ -f "$CPOR_PG_DIR/data/postmaster.pid" ]]; then
            runuser -u "$CPOR_PG_USER" -- "$CPOR_PG_BIN/pg_ctl" -D "$CPOR_PG_DIR/data" \
                -m fast -w stop >/dev/null || true
            echo "== postgres stopped"
        fi
        rm -rf "$CPOR_PG_DIR"
    fi
}

cpor_pg_start() {
    if [[ -n "${CPOR_PG_URL:-}" ]]; then
        echo "== postgres: using the server of CPOR_PG_URL"
        return
    fi
    CPOR_PG_BIN=$(cpor_pg_bindir)
    if [[ -z "$CPOR_PG_BIN" ]]; then
        echo "== postgres: installing the server from Debian's packages"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
        CPOR_PG_BIN=$(cpor_pg_bindir)
        if [[ -z "$CPOR_PG_BIN" ]]; then
            echo "no PostgreSQL server binaries under /usr/lib/postgresql after installing" >&2
            return 1
        fi
    fi
    # initdb and the server refuse to run as root: run them as the postgres system user.
    CPOR_PG_USER=postgres
    if ! id -u "$CPOR_PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$CPOR_PG_USER"
    fi

    CPOR_PG_DIR=$(mktemp -d /tmp/cpor-pg.XXXXXX)
    trap cpor_pg_stop EXIT
    chown "$CPOR_PG_USER" "$CPOR_PG_DIR"

    runuser -u "$CPOR_PG_USER" -- "$CPOR_PG_BIN/initdb" -D "$CPOR_PG_DIR/data" \
        --auth=trust --username=postgres --encoding=UTF8 --locale=C --no-sync >/dev/null
    # Only a Unix socket in the temporary directory: no port to pick or collide on.
    runuser -u "$CPOR_PG_USER" -- "$CPOR_PG_BIN/pg_ctl" -D "$CPOR_PG_DIR/data" \
        -l "$CPOR_PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $CPOR_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    export CPOR_PG_URL="host=$CPOR_PG_DIR user=postgres dbname=postgres"
    # A fast restart keeps the server options of the start above (pg_ctl reads
    # postmaster.opts); the log file is pg_ctl's own option, so it is given again, else the
    # restarted server would write to (and hold open) the output of the test that ran it.
    export CPOR_PG_RESTART="runuser -u $CPOR_PG_USER -- $CPOR_PG_BIN/pg_ctl -D $CPOR_PG_DIR/data -l $CPOR_PG_DIR/server.log -m fast -w -t 60 restart"
    echo "== postgres started: $("$CPOR_PG_BIN/postgres" --version), socket in $CPOR_PG_DIR"
}
