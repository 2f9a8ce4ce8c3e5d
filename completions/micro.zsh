#compdef micro
# zsh completion for micro. Load it in the current shell (after compinit) with
#
#     source <(micro completion zsh)
#
# or install it for every shell as a file named _micro in a folder of $fpath:
#
#     micro completion zsh > "${fpath[1]}/_micro"
#
# The candidates come from `micro __complete <words...> <partial>`, which answers
# with cobra's protocol: one "value<TAB>description" line per candidate, then
# ":<directive>" (1 error, 2 no space, 4 no file names). It is bounded by
# MICRO_COMPLETE_TIMEOUT_MS (500 ms by default), so a dead server never hangs
# the shell: the builtins still complete.

_micro() {
    local partial=${words[CURRENT]}
    local -a args lines
    args=("${(@)words[2,CURRENT-1]}")

    local out
    out=$("${words[1]}" __complete "${args[@]}" "$partial" 2>/dev/null) || return 1
    lines=("${(@f)out}")
    local directive=${lines[-1]#:}
    [[ $directive == <-> ]] || return 1
    lines=("${(@)lines[1,-2]}")
    (( directive & 1 )) && return 1

    # "--flag=va" is answered with values: the flag goes back in front
    local flagpre=""
    [[ $partial == -*=* ]] && flagpre=${partial%%=*}=

    local -a open open_d closed closed_d
    local l v d
    for l in "${lines[@]}"; do
        [[ -n $l ]] || continue
        v=$flagpre${l%%$'\t'*}
        d=$v
        [[ $l == *$'\t'* ]] && d="$v  -- ${l#*$'\t'}"
        if [[ $v == *= ]] || (( directive & 2 )); then
            open+=("$v"); open_d+=("$d")
        else
            closed+=("$v"); closed_d+=("$d")
        fi
    done

    local ret=1
    (( ${#open} )) && compadd -Q -S '' -l -d open_d -a open && ret=0
    (( ${#closed} )) && compadd -Q -l -d closed_d -a closed && ret=0
    if (( ret )) && ! (( directive & 4 )); then
        _files && ret=0
    fi
    return ret
}

# autoloaded from $fpath the file is the function's body: run it; sourced, register it
if [[ ${funcstack[1]} == _micro ]]; then
    _micro "$@"
else
    compdef _micro micro
fi
