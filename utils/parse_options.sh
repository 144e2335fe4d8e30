#!/usr/bin/env bash
# Parse "--name value" / "--name=value" command-line options into shell variables.
#
# Source it after defining defaults:
#     stage=1
#     ngpu=0
#     help_message="Usage: $0 [options]"
#     . utils/parse_options.sh
#
# Rules (the ESPnet/Kaldi convention):
#   * an option may only set a variable that is already defined (typos fail loudly);
#   * "--foo-bar" sets foo_bar (dashes become underscores);
#   * "--help" / "-h" prints $help_message and the current defaults, then exits 0;
#   * parsing stops at the first argument that does not start with "--"; the remaining
#     positional arguments are left in "$@".
#   * a value for a variable whose default is true/false must be true or false.

__po_usage() {
    echo "${help_message:-Usage: $0 [options]}"
    # The options are the variables the calling script assigns at the start of a line.
    local names
    names=$(grep -oE '^[A-Za-z_][A-Za-z0-9_]*=' "$0" 2>/dev/null | tr -d '=' | sort -u)
    [ -n "${names}" ] && echo "Options (current values):"
    for __n in ${names}; do
        [ -n "${!__n+x}" ] && printf '  --%-24s %s\n' "${__n}" "${!__n}"
    done
}

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help)
            __po_usage
            exit 0 ;;
        --)
            shift
            break ;;
        --*=*)
            __po_key=${1%%=*}; __po_val=${1#*=}; shift ;;
        --*)
            if [ $# -lt 2 ]; then
                echo "$0: option $1 needs a value" >&2
                exit 1
            fi
            __po_key=$1; __po_val=$2; shift 2 ;;
        *)
            break ;;
    esac
    __po_name=${__po_key#--}
    __po_name=${__po_name//-/_}
    if ! [[ ${__po_name} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!__po_name+x}" ]; then
        echo "$0: unknown option ${__po_key} (run $0 --help to list the options)" >&2
        exit 1
    fi
    case "${!__po_name}" in
        true|false)
            if [ "${__po_val}" != true ] && [ "${__po_val}" != false ]; then
                echo "$0: ${__po_key} takes true or false, not '${__po_val}'" >&2
                exit 1
            fi ;;
    esac
    printf -v "${__po_name}" '%s' "${__po_val}"
done
unset __po_key __po_val __po_name
true
