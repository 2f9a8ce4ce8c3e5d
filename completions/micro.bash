# bash completion for micro. Load it in the current shell with
#
#     source <(micro completion bash)
#
# or install it for every shell (with the bash-completion package) as
#
#     micro completion bash > ~/.local/share/bash-completion/completions/micro
#
# The candidates come from `micro __complete <words...> <partial>`, which answers
# with cobra's protocol: one "value<TAB>description" line per candidate, then
# ":<directive>" (1 error, 2 no space, 4 no file names). It is bounded by
# MICRO_COMPLETE_TIMEOUT_MS (500 ms by default), so a dead server never hangs
# the shell: the builtins still complete.

_micro_complete() {
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words lines
    read -r -a words <<<"$line"
    [[ ${#words[@]} -eq 0 || $line == *[[:space:]] ]] && words+=("")
    local partial=${words[${#words[@]}-1]}

    local out
    out=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null) || return 0
    mapfile -t lines <<<"$out"
    local directive=${lines[${#lines[@]}-1]#:}
    [[ $directive =~ ^[0-9]+$ ]] || return 0
    unset "lines[${#lines[@]}-1]"
    (( directive & 1 )) && return 0

    # "--flag=va" is answered with values: the flag goes back in front
    local flagpre=""
    [[ $partial == -*=* ]] && flagpre=${partial%%=*}=
    # readline replaces only what follows the last word-break character ('=', ':')
    local breakpre="" i ch
    for ((i = ${#partial} - 1; i >= 0; i--)); do
        ch=${partial:i:1}
        if [[ ($ch == = || $ch == :) && $COMP_WORDBREAKS == *"$ch"* ]]; then
            breakpre=${partial:0:i+1}
            break
        fi
    done

    COMPREPLY=()
    local l full
    for l in "${lines[@]}"; do
        full=$flagpre${l%%$'\t'*}
        [[ $full == "$breakpre"* ]] && COMPREPLY+=("${full#"$breakpre"}")
    done

    if [[ ${#COMPREPLY[@]} -eq 0 ]]; then
        (( directive & 4 )) || compopt -o default 2>/dev/null
    elif (( directive & 2 )) || [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}

complete -F _micro_complete micro
