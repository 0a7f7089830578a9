#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests (DESIGN.md: "the same suite, not a mock").
#
#   .ci/postgres.sh start DIR   install Debian's postgresql if its binaries are missing, create a
#                               cluster in DIR, start it on 127.0.0.1 at a free port (trust auth
#                               on loopback only), create the role fundplanner (LOGIN CREATEDB)
#                               and print the test URL for FUNDPLANNER_TEST_POSTGRES on stdout.
#   .ci/postgres.sh stop DIR    stop that server (if it runs) and delete DIR.
#
# Root cannot run postgres: as root the server runs as the `postgres` user the package creates;
# as anyone else it runs as the caller. Everything else goes to stderr.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

# The directory holding initdb and pg_ctl: PATH first, then Debian's versioned layout
# (/usr/lib/postgresql/NN/bin, not on PATH), newest version first.
find_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_postgresql() {
    if [[ $(id -u) -ne 0 ]]; then
        log "initdb/pg_ctl not found and not root: install Debian's 'postgresql' package first."
        exit 1
    fi
    log "installing Debian's postgresql (apt-get)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a command as the server's owner (postgres when we are root).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local dir bindir port
    dir=$(realpath -m "$1")
    bindir=$(find_bindir) || { install_postgresql; bindir=$(find_bindir); } || {
        log "no initdb/pg_ctl even after installing postgresql."
        exit 1
    }
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    as_owner test -x "$dir" || {
        log "$dir: the server's owner cannot reach it; use a directory whose parents it can enter."
        exit 1
    }
    cd "$dir" # the server's owner may not be allowed into the caller's directory
    echo "$bindir" >"$dir/bindir"
    as_owner "$bindir/initdb" --pgdata="$dir/data" --username=postgres --encoding=UTF8 \
        --no-locale --auth-local=trust --auth-host=trust >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # fsync off: a throwaway cluster, speed over durability. Listens on loopback only. A free
    # port can be taken between choosing it and binding it: then try another one.
    local attempt
    for attempt in 1 2 3; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
            --timeout=60 -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            break
        fi
        cat "$dir/server.log" >&2
        [[ $attempt -lt 3 ]] || exit 1
    done
    as_owner "$bindir/psql" --quiet --no-psqlrc --host=127.0.0.1 --port="$port" \
        --username=postgres --dbname=postgres --set=ON_ERROR_STOP=1 \
        --command="CREATE ROLE fundplanner LOGIN CREATEDB" >/dev/null
    log "PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"
    echo "postgresql+psycopg://fundplanner@127.0.0.1:$port/postgres"
}

stop() {
    local dir
    dir=$(realpath -m "$1")
    cd /
    if [[ -f $dir/bindir && -f $dir/data/postmaster.pid ]]; then
        as_owner "$(cat "$dir/bindir")/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait \
            stop >/dev/null || log "pg_ctl stop failed (see $dir/server.log)"
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start | stop)
        [[ $# -eq 2 ]] || { log "usage: $0 start|stop DIR"; exit 2; }
        "$1" "$2"
        ;;
    *)
        log "usage: $0 start|stop DIR"
        exit 2
        ;;
esac
