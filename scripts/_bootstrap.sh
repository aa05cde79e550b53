#!/usr/bin/env bash
# Shared setup for scripts/test, scripts/demo and scripts/lint. Source it, do not run it:
#
#     source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
#
# It leaves the caller in the repository root with a virtualenv in .venv that holds
# `pip install -e '.[EXTRAS]'`, pinned by requirements/constraints.txt. The install runs only
# when pyproject.toml or the constraints changed since the last one, or when the caller
# wants an extra the last one did not install (the stamp .venv/.factdb-stamp holds their
# sha256 and the extras installed), so a second run costs well under a second. Quiet when
# there is nothing to do; while it installs it says so on stderr, step by step, with a line
# every 15 seconds (a first run takes one to two minutes; with the extra ftm, whose PyICU pip
# compiles from source, about five more the first time: pip keeps the wheel it built in its
# cache, so a new .venv on the same machine takes a minute or two again).
#
# Environment: PYTHON (default python3) is the interpreter that creates .venv; it must be
# Python 3.11 or newer. FACTDB_EXTRAS (set by the caller; default postgres,test) are the
# extras of pyproject.toml to install: scripts/test and scripts/lint add ftm (FollowTheMoney,
# tested), scripts/demo does not.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    echo "scripts/_bootstrap.sh is meant to be sourced by scripts/test, scripts/demo and scripts/lint" >&2
    exit 2
fi

FACTDB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FACTDB_ROOT
cd "$FACTDB_ROOT" || return 1

factdb_die() {
    printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2
    exit 1
}

factdb_note() {
    printf '%s: %s\n' "$(basename "$0")" "$*" >&2
}

# Install Debian packages (as root only). Non-interactive; `apt-get update` once per run.
factdb_apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        factdb_die "need the system packages '$*' and there is no apt-get: install them by hand"
    fi
    if [ "$(id -u)" -ne 0 ]; then
        factdb_die "need the system packages '$*': run as root or install them by hand (apt-get install $*)"
    fi
    factdb_note "installing system packages: $*"
    local log
    log="$(mktemp)"
    if [ -z "${_FACTDB_APT_UPDATED:-}" ]; then
        if ! DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            factdb_die "apt-get update failed"
        fi
        _FACTDB_APT_UPDATED=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        </dev/null >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        factdb_die "apt-get install $* failed"
    fi
    rm -f "$log"
}

# While a long step runs: a line every 15 seconds on stderr, so that a first run is never a
# silent wait. Started in the background; the caller kills it by its pid.
_factdb_ticker() {
    local start=$SECONDS
    while sleep 15; do
        factdb_note "  … still installing ($((SECONDS - start)) s so far)"
    done
}

_factdb_sha256() {
    # sha256 over the files that decide what gets installed (python: portable to macOS too).
    "$1" - pyproject.toml requirements/constraints.txt <<'PY'
import hashlib, sys
h = hashlib.sha256()
for name in sys.argv[1:]:
    h.update(name.encode() + b"\0")
    with open(name, "rb") as f:
        h.update(f.read())
    h.update(b"\0")
print(h.hexdigest())
PY
}

# Whether the stamp says the files hashed to $2 were installed with every extra of $3.
_factdb_stamp_covers() {
    local stamp="$1" want="$2" extras="$3" hash installed extra
    [ -f "$stamp" ] || return 1
    read -r hash installed <"$stamp" || true
    [ "$hash" = "$want" ] || return 1
    local IFS=,
    for extra in $extras; do
        case ",$installed," in *",$extra,"*) ;; *) return 1 ;; esac
    done
}

# The extras $3, plus those the stamp lists when it is of the same files ($2).
_factdb_extras_union() {
    local stamp="$1" want="$2" extras="$3" hash installed extra
    if [ -f "$stamp" ]; then
        read -r hash installed <"$stamp" || true
        if [ "$hash" = "$want" ] && [ -n "$installed" ]; then
            local IFS=,
            for extra in $installed; do
                case ",$extras," in *",$extra,"*) ;; *) extras="$extras,$extra" ;; esac
            done
        fi
    fi
    printf '%s\n' "$extras"
}

_factdb_bootstrap() {
    local python="${PYTHON:-python3}"
    local venv="$FACTDB_ROOT/.venv"
    local stamp="$venv/.factdb-stamp"
    local constraints="requirements/constraints.txt"
    local extras="${FACTDB_EXTRAS:-postgres,test}"

    if ! command -v "$python" >/dev/null 2>&1; then
        factdb_die "$python not found: factdb needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)"
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        factdb_die "factdb needs Python 3.11 or newer, but $python is $("$python" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo unknown) (set PYTHON=/path/to/python3.11)"
    fi
    [ -f pyproject.toml ] || factdb_die "no pyproject.toml in $FACTDB_ROOT"
    [ -f "$constraints" ] || factdb_die "no $constraints in $FACTDB_ROOT"

    # A .venv left broken (moved checkout, removed interpreter) or too old is rebuilt.
    if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        >/dev/null 2>&1; then
        factdb_note "rebuilding the broken or outdated .venv"
        rm -rf "$venv"
    fi
    if [ ! -e "$venv" ]; then
        factdb_note "first run: creating the virtualenv .venv with $python"
        local out
        if ! out="$("$python" -m venv "$venv" 2>&1)"; then
            printf '%s\n' "$out" >&2
            rm -rf "$venv"
            factdb_die "could not create .venv with '$python -m venv' (on Debian/Ubuntu: apt-get install python3-venv)"
        fi
    fi

    local want
    want="$(_factdb_sha256 "$venv/bin/python")" || factdb_die "could not hash pyproject.toml and $constraints"
    if _factdb_stamp_covers "$stamp" "$want" "$extras"; then
        return 0
    fi

    # Concurrent runs (scripts/test beside scripts/demo) install one after the other.
    if command -v flock >/dev/null 2>&1; then
        exec {_factdb_lock_fd}>"$venv/.factdb-lock"
        flock "$_factdb_lock_fd"
        if _factdb_stamp_covers "$stamp" "$want" "$extras"; then
            exec {_factdb_lock_fd}>&-
            return 0
        fi
    fi

    # Keep the extras an earlier install of the same files put there (scripts/demo after
    # scripts/test must not ask for a reinstall without ftm, nor the other way round).
    extras="$(_factdb_extras_union "$stamp" "$want" "$extras")"
    case ",$extras," in
        *",ftm,"*)
            # PyICU (for followthemoney) compiles against ICU: a C++ compiler, pkg-config and
            # the ICU headers, installed here as PostgreSQL is (as root, on Debian/Ubuntu).
            if ! "$venv/bin/python" -c 'import icu' >/dev/null 2>&1 \
                && { ! command -v c++ >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1 \
                    || ! pkg-config --exists icu-i18n; }; then
                factdb_apt_install g++ pkg-config libicu-dev
            fi
            ;;
    esac
    factdb_note "installing factdb[$extras] and its dependencies into .venv with pip (pyproject.toml, $constraints or the extras changed; one to two minutes on a first run, about five more to compile PyICU for the extra ftm)"
    rm -f "$stamp"
    local log ticker started=$SECONDS
    log="$(mktemp)"
    _factdb_ticker &
    ticker=$!
    factdb_note "  1/2 upgrading pip, setuptools and wheel"
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            -c "$constraints" pip setuptools wheel >"$log" 2>&1 \
        || ! factdb_note "  2/2 installing factdb with its dependencies (sqlmodel, alembic, typer, pandas, psycopg, pytest …)" \
        || ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            -c "$constraints" --build-constraint "$constraints" \
            -e ".[$extras]" >>"$log" 2>&1; then
        kill "$ticker" 2>/dev/null || true
        wait "$ticker" 2>/dev/null || true
        cat "$log" >&2
        rm -f "$log"
        factdb_die "pip install -e '.[$extras]' failed (output above)"
    fi
    kill "$ticker" 2>/dev/null || true
    wait "$ticker" 2>/dev/null || true
    rm -f "$log"
    factdb_note "installed in $((SECONDS - started)) s"
    printf '%s %s\n' "$want" "$extras" >"$stamp"
    if [ -n "${_factdb_lock_fd:-}" ]; then
        exec {_factdb_lock_fd}>&-
    fi
}

_factdb_bootstrap
