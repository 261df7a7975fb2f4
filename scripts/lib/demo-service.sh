# Sourced by scripts that need the real service with the demo loaded on a throwaway embedded
# cluster (scripts/schemathesis, scripts/bench-submit). With rate limits the caller relaxes in
# the environment:
#
#   start_demo_service NAME BIN OUT   starts BIN; its stdout and log go to OUT/service.out and
#                                     OUT/service.log; sets `url`; stops and cleans up on exit
#   demo_password ROLE                the demo account's password for ROLE, printed once at start

demo_service=
demo_data=
stop_demo_service() {
    if [[ -n $demo_service ]] && kill -0 "$demo_service" 2>/dev/null; then
        kill -TERM "$demo_service"
        wait "$demo_service" || true
    fi
    [[ -n $demo_data ]] && rm -rf "$demo_data"
}

start_demo_service() {
    local name=$1 bin=$2
    demo_out=$3
    mkdir -p "$demo_out"
    demo_data=$(mktemp -d "${TMPDIR:-/tmp}/wangge-$name-XXXXXX")
    trap stop_demo_service EXIT
    # Emptied here, not by the redirection below: that happens in the child, after the loop may
    # already have read a previous run's "listening" line and taken its dead address.
    : >"$demo_out/service.out"
    env -u DATABASE_URL "$bin" serve --listen 127.0.0.1:0 --data-dir "$demo_data" --load-demo \
        >"$demo_out/service.out" 2>"$demo_out/service.log" &
    demo_service=$!
    url=
    for _ in $(seq 360); do
        url=$(sed -n 's/^Wangge listening on \(http:[^ ]*\)$/\1/p' "$demo_out/service.out")
        [[ -n $url ]] && return 0
        kill -0 "$demo_service" 2>/dev/null || { tail -n 50 "$demo_out/service.log" >&2; echo "$name: the service did not start" >&2; exit 1; }
        sleep 0.5
    done
    echo "$name: the service did not start within 180 s" >&2
    exit 1
}

# The demo accounts are printed once, as `  admin      demo_admin       PASSWORD`.
demo_password() {
    awk -v role="$1" '$1 == role && $2 == "demo_" role { print $3 }' "$demo_out/service.out"
}
