#!/bin/sh
# Install lobbyq on a Raspberry Pi OS (Debian bookworm) Pi as systemd services,
# upgrade it, or roll an upgrade back. Run as root. Step by step: deploy/README.md.
#
#   install.sh install --from OUT --device ID [--device ID ...] [--source SRC]
#   install.sh upgrade [--source SRC]
#   install.sh rollback [--restore-data]
#   install.sh status
#
# OUT is the folder `lobbyq device provision` wrote. On the kiosk Pi, if OUT
# has no ca.crt/server.crt/server.key yet, the branch CA and the broker's
# certificate are made into OUT with deploy/mkcerts.sh. ID is a device
# of that branch: on the kiosk Pi `--device engine --device kiosk-1` (the
# broker comes with the engine), on a counter Pi `--device counter-3`.
# SRC is a lobbyq wheel or source folder (default: the folder above this script).
# --dry-run (before or after the command) prints what would be done and
# changes nothing.
#
# Layout: each install or upgrade is a new virtualenv in
# /opt/lobbyq/releases/<time>; /opt/lobbyq/current points at the one in use
# and /opt/lobbyq/previous at the one before, so a rollback is a symlink
# switch and a restart. Config in /etc/lobbyq, data in /var/lib/lobbyq; an
# upgrade backs the data up first (/var/lib/lobbyq.before-<release>).
set -eu

PREFIX=${LOBBYQ_PREFIX:-/opt/lobbyq}
CONF=${LOBBYQ_CONF:-/etc/lobbyq}
DATA=${LOBBYQ_DATA:-/var/lib/lobbyq}
UNITS=/etc/systemd/system
HERE=$(cd "$(dirname "$0")" && pwd)
DRY_RUN=0
KEEP_RELEASES=3

say() { printf '%s\n' "lobbyq-install: $*"; }
die() { printf '%s\n' "lobbyq-install: error: $*" >&2; exit 1; }

run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf '+ %s\n' "$*"
    else
        "$@"
    fi
}

need_root() {
    [ "$DRY_RUN" = 1 ] || [ "$(id -u)" = 0 ] || die "run as root (sudo $0 ...)"
}

# The role written in a device file: role = "counter" under [device].
device_role() {
    sed -n 's/^role *= *"\([a-z]*\)".*/\1/p' "$1" | head -n 1
}

unit_for() {  # unit_for ROLE ID
    case "$1" in
        engine) echo "lobbyq-engine.service" ;;
        kiosk | counter | display) echo "lobbyq-$1@$2.service" ;;
        *) die "unknown role '$1' for $2" ;;
    esac
}

# Units of every device installed on this Pi, from the device files in $CONF.
installed_units() {
    for f in "$CONF"/*.toml; do
        [ -f "$f" ] || continue
        role=$(device_role "$f")
        [ -n "$role" ] || continue
        unit_for "$role" "$(basename "$f" .toml)"
    done
}

apt_packages() {  # apt_packages ROLE...
    pkgs="python3 python3-venv python3-pip openssl ca-certificates fonts-noto-cjk fonts-wqy-microhei"
    for role in "$@"; do
        case "$role" in
            engine) pkgs="$pkgs mosquitto mosquitto-clients sqlite3" ;;
            kiosk) pkgs="$pkgs libsdl2-2.0-0 libusb-1.0-0" ;;
            display) pkgs="$pkgs espeak-ng sox libsdl2-2.0-0" ;;
        esac
    done
    run apt-get update
    # shellcheck disable=SC2086 # the list is split on purpose
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
}

ensure_user() {
    if ! id lobbyq >/dev/null 2>&1; then
        run useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin lobbyq
    fi
    for group in dialout lp video render input audio; do
        if getent group "$group" >/dev/null 2>&1; then
            run usermod -a -G "$group" lobbyq
        fi
    done
}

# Build a new release virtualenv from SRC; prints its path.
new_release() {
    src=$1
    rel="$PREFIX/releases/$(date -u +%Y%m%d-%H%M%S)"
    run mkdir -p "$PREFIX/releases"
    run python3 -m venv "$rel"
    run "$rel/bin/pip" install --no-cache-dir --upgrade pip
    run "$rel/bin/pip" install --no-cache-dir "$src"
    run mkdir -p "$rel/share/lobbyq"
    run cp -r "$HERE" "$rel/share/lobbyq/deploy"
    if [ "$DRY_RUN" = 0 ]; then
        printf 'source=%s\ninstalled=%s\n' "$src" "$(date -u +%FT%TZ)" >"$rel/RELEASE"
        "$rel/bin/lobbyq" --help >/dev/null || die "the new release does not start: $rel"
    fi
    NEW_RELEASE=$rel
}

switch_to() {  # switch_to RELEASE: current -> RELEASE, previous -> old current
    if [ -L "$PREFIX/current" ]; then
        run ln -sfn "$(readlink "$PREFIX/current")" "$PREFIX/previous"
    fi
    run ln -sfn "$1" "$PREFIX/current"
}

prune_releases() {
    [ -d "$PREFIX/releases" ] || return 0
    keep_cur=$(readlink "$PREFIX/current" 2>/dev/null || true)
    keep_prev=$(readlink "$PREFIX/previous" 2>/dev/null || true)
    # shellcheck disable=SC2012 # release names are timestamps without spaces
    ls -1d "$PREFIX"/releases/* 2>/dev/null | sort -r | tail -n +$((KEEP_RELEASES + 1)) |
        while read -r old; do
            [ "$old" = "$keep_cur" ] || [ "$old" = "$keep_prev" ] || run rm -rf "$old"
        done
}

install_device_files() {  # install_device_files OUT ID
    out=$1 id=$2
    dir="$out/$id"
    [ -f "$dir/$id.toml" ] || die "$dir/$id.toml not found: provision the branch first"
    [ -f "$dir/$id.cred" ] || die "$dir/$id.cred not found: provision the branch first"
    run install -d -m 0750 -o root -g lobbyq "$CONF"
    run install -m 0644 -o root -g root "$dir/$id.toml" "$CONF/$id.toml"
    run install -m 0600 -o lobbyq -g lobbyq "$dir/$id.cred" "$CONF/$id.cred"
    if [ -f "$dir/branch.secret" ]; then
        run install -m 0600 -o lobbyq -g lobbyq "$dir/branch.secret" "$CONF/branch.secret"
    fi
    if [ -f "$dir/queue.toml" ]; then
        run install -m 0644 -o root -g root "$dir/queue.toml" "$CONF/queue.toml"
    fi
    if [ -f "$dir/devices.toml" ]; then  # the engine's device roles
        run install -m 0644 -o root -g root "$dir/devices.toml" "$CONF/devices.toml"
    fi
    if grep -q '^ca_file' "$dir/$id.toml"; then
        [ -f "$out/ca.crt" ] || die "$out/ca.crt not found: make the branch CA with deploy/mkcerts.sh (deploy/README.md, step 2)"
        run install -m 0644 -o root -g root "$out/ca.crt" "$CONF/ca.crt"
    fi
}

# The branch CA and the broker's certificate, made here with openssl when the
# provisioning output has none yet; the broker host is the one the counters'
# device files name, plus this Pi's name and addresses. ca.crt lands in OUT,
# where the counter installs take it from.
ensure_certs() {  # ensure_certs OUT
    out=$1
    if [ -f "$out/server.crt" ] && [ -f "$out/server.key" ] && [ -f "$out/ca.crt" ]; then
        return 0
    fi
    host=$(sed -n 's|^url = "mqtts://\([^:/"]*\).*|\1|p' "$out"/*/*.toml 2>/dev/null | head -n 1)
    [ -n "$host" ] || die "no mqtts:// device in $out names the broker host; run $HERE/mkcerts.sh $out <host> <IP>"
    addrs=$(hostname -I 2>/dev/null || true)
    say "making the branch CA and the broker certificate for $host $(hostname) $addrs"
    # shellcheck disable=SC2086 # one name per word
    run sh "$HERE/mkcerts.sh" "$out" "$host" "$(hostname)" $addrs
}

install_broker() {  # install_broker OUT
    out=$1
    ensure_certs "$out"
    for f in broker/mosquitto.conf broker/passwd broker/acl; do
        [ -f "$out/$f" ] || die "$out/$f not found: provision the branch first"
    done
    if [ -f /etc/mosquitto/mosquitto.conf ] && [ ! -f /etc/mosquitto/mosquitto.conf.debian ]; then
        run cp /etc/mosquitto/mosquitto.conf /etc/mosquitto/mosquitto.conf.debian
    fi
    # The folders the generated config names (the branch file's [broker] table).
    conf="$out/broker/mosquitto.conf"
    dir=$(sed -n 's|^password_file \(.*\)/passwd$|\1|p' "$conf")
    data=$(sed -n 's|^persistence_location \(.*\)$|\1|p' "$conf")
    user=$(sed -n 's|^user \(.*\)$|\1|p' "$conf")
    [ -n "$dir" ] || die "$conf names no password_file: provision the branch again"
    group=${user:-mosquitto}
    run install -d -m 0750 -o root -g "$group" "$dir"
    [ -n "$data" ] && run install -d -m 0750 -o "$group" -g "$group" "$data"
    run install -m 0644 -o root -g root "$conf" /etc/mosquitto/mosquitto.conf
    run install -m 0640 -o root -g "$group" "$out/broker/passwd" "$dir/passwd"
    run install -m 0640 -o root -g "$group" "$out/broker/acl" "$dir/acl"
    run install -m 0644 -o root -g root "$out/ca.crt" "$dir/ca.crt"
    run install -m 0644 -o root -g root "$out/server.crt" "$dir/server.crt"
    run install -m 0640 -o root -g "$group" "$out/server.key" "$dir/server.key"
    run install -d -m 0755 "$UNITS/mosquitto.service.d"
    run install -m 0644 "$HERE/systemd/lobbyq-mosquitto.conf" "$UNITS/mosquitto.service.d/lobbyq.conf"
}

install_udev() {  # install_udev ROLE
    case "$1" in
        kiosk | counter | display) ;;
        *) return 0 ;;
    esac
    # One file per role: a Pi with two roles (a kiosk Pi that also drives the hall
    # display) keeps both sets of names.
    run rm -f /etc/udev/rules.d/99-lobbyq.rules
    run install -m 0644 "$HERE/udev/99-lobbyq-$1.rules" "/etc/udev/rules.d/99-lobbyq-$1.rules"
    run udevadm control --reload-rules
    run udevadm trigger --subsystem-match=tty
}

install_units() {
    for unit in lobbyq-engine.service lobbyq-kiosk@.service lobbyq-counter@.service lobbyq-display@.service; do
        run install -m 0644 "$HERE/systemd/$unit" "$UNITS/$unit"
    done
    run systemctl daemon-reload
    # A Pi has no real-time clock: the units wait for time-sync.target, which
    # means "the clock is set" only with this service enabled.
    if command -v systemctl >/dev/null 2>&1 && systemctl cat systemd-time-wait-sync.service >/dev/null 2>&1; then
        run systemctl enable systemd-time-wait-sync.service
    else
        say "note: systemd-time-wait-sync.service not found; the services will not wait for the clock"
    fi
}

# Wait until every unit is active and has stayed so for a few seconds
# (Type=notify: active means the app said READY=1, which it says only once
# it is on its broker). Says what it waits for every few seconds and, for a
# unit that did not come up, its own status line (why it waits).
HEALTH_WAIT=${LOBBYQ_HEALTH_WAIT:-60}
healthy() {
    [ "$DRY_RUN" = 1 ] && return 0
    end=$(( $(date +%s) + HEALTH_WAIT ))
    while :; do
        waiting=""
        for unit in "$@"; do
            systemctl is-active --quiet "$unit" || waiting="$waiting $unit"
        done
        if [ -z "$waiting" ]; then
            sleep 5  # still up a moment later: not a crash right after READY
            for unit in "$@"; do
                systemctl is-active --quiet "$unit" || { say "$unit stopped right after starting"; return 1; }
            done
            return 0
        fi
        left=$(( end - $(date +%s) ))
        if [ "$left" -le 0 ]; then
            for unit in $waiting; do
                say "$unit is $(systemctl is-active "$unit" 2>/dev/null || true): $(systemctl show -p StatusText --value "$unit" 2>/dev/null)"
            done
            return 1
        fi
        say "waiting for$waiting to come up (${left}s left)"
        sleep 5
    done
}

cmd_install() {
    out="" source="${HERE%/deploy}" ids=""
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --from) out=$2; shift 2 ;;
            --device) ids="$ids $2"; shift 2 ;;
            --source) source=$2; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    [ -n "$out" ] || die "--from OUT (the provisioning output) is required"
    [ -n "$ids" ] || die "at least one --device ID is required"
    roles="" units=""
    for id in $ids; do
        [ -f "$out/$id/$id.toml" ] || die "$out/$id/$id.toml not found"
        role=$(device_role "$out/$id/$id.toml")
        roles="$roles $role"
        units="$units $(unit_for "$role" "$id")"
    done
    need_root
    # shellcheck disable=SC2086
    apt_packages $roles
    ensure_user
    new_release "$source"
    switch_to "$NEW_RELEASE"
    for id in $ids; do
        install_device_files "$out" "$id"
    done
    for role in $roles; do
        [ "$role" = engine ] && install_broker "$out"
        install_udev "$role"
    done
    install_units
    case " $roles " in
        *" engine "*) run systemctl enable mosquitto.service; run systemctl restart mosquitto.service ;;
    esac
    for unit in $units; do
        run systemctl enable "$unit"
        # --no-block: a unit waiting for its broker must not hold the others back.
        run systemctl restart --no-block "$unit"
    done
    # shellcheck disable=SC2086
    healthy $units || die "not every service came up; see journalctl -u 'lobbyq*' -b"
    if [ "$DRY_RUN" = 1 ]; then
        say "dry run: nothing was installed; the plan for$units is above"
    else
        say "installed: $units"
    fi
}

cmd_upgrade() {
    source="${HERE%/deploy}"
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --source) source=$2; shift 2 ;;
            *) die "unknown option $1" ;;
        esac
    done
    need_root
    units=$(installed_units)
    [ -n "$units" ] || die "nothing installed in $CONF; use install first"
    new_release "$source"
    # shellcheck disable=SC2086
    run systemctl stop $units
    if [ -d "$DATA" ]; then
        run cp -a "$DATA" "$DATA.before-$(basename "$NEW_RELEASE")"
    fi
    switch_to "$NEW_RELEASE"
    install_units
    # shellcheck disable=SC2086
    run systemctl start --no-block $units
    # shellcheck disable=SC2086
    if ! healthy $units; then
        say "the new release failed its health check; rolling back"
        cmd_rollback
        die "upgrade rolled back; see journalctl -u 'lobbyq*' -b"
    fi
    prune_releases
    say "upgraded to $NEW_RELEASE"
}

cmd_rollback() {
    restore=0
    [ "${1:-}" = "--restore-data" ] && restore=1
    need_root
    [ -L "$PREFIX/previous" ] || die "no previous release to roll back to"
    target=$(readlink "$PREFIX/previous")
    failed=$(readlink "$PREFIX/current")
    units=$(installed_units)
    # shellcheck disable=SC2086
    run systemctl stop $units
    if [ "$restore" = 1 ]; then
        backup="$DATA.before-$(basename "$failed")"
        [ -d "$backup" ] || die "no data backup $backup"
        run mv "$DATA" "$DATA.failed-$(basename "$failed")"
        run cp -a "$backup" "$DATA"
    fi
    run ln -sfn "$target" "$PREFIX/current"
    run ln -sfn "$failed" "$PREFIX/previous"
    # shellcheck disable=SC2086
    run systemctl start --no-block $units
    say "rolled back to $target (the failed release stays as previous: $failed)"
}

cmd_status() {
    say "current release: $(readlink "$PREFIX/current" 2>/dev/null || echo none)"
    say "previous release: $(readlink "$PREFIX/previous" 2>/dev/null || echo none)"
    for unit in $(installed_units); do
        printf '  %-36s %s\n' "$unit" "$(systemctl is-active "$unit" 2>/dev/null || true)"
    done
}

# --dry-run may come before or after the command.
[ "${1:-}" = "--dry-run" ] && { DRY_RUN=1; shift; }
command=${1:-}
[ "$#" -gt 0 ] && shift
if [ "${1:-}" = "--dry-run" ]; then DRY_RUN=1; shift; fi
case "$command" in
    install) cmd_install "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    rollback) cmd_rollback "$@" ;;
    status) cmd_status ;;
    *) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 2 ;;
esac
