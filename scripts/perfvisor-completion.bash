# bash completion for perfvisor.  The commands and options come from the program's own help
# ('perfvisor help', 'perfvisor CMD --help'), so they follow the installed version.
# Installed by make install into share/bash-completion/completions/perfvisor.

_perfvisor_commands() {
    "$1" help 2>/dev/null | awk 'f && /^  [a-z]/ { print $1 } /Commands:/ { f = 1 }'
}

# Every -x and --long option named at the start of a help line.
_perfvisor_options() {
    "$1" "$2" --help 2>/dev/null | awk '/^ +-/ {
        for (i = 1; i <= NF; i++) {
            w = $i; sub(/,$/, "", w); sub(/\[=.*/, "", w); sub(/=.*/, "", w)
            if (w ~ /^--?[a-zA-Z]/) print w; else break
        }
    }'
}

_perfvisor() {
    local cur prev pv cmd i
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    pv=${COMP_WORDS[0]}
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
    done
    if [ -z "$cmd" ]; then
        COMPREPLY=($(compgen -W "$(_perfvisor_commands "$pv") --help --version" -- "$cur"))
        return
    fi
    case $prev in
    --emulator) COMPREPLY=($(compgen -W "bochs qemu" -- "$cur")); return ;;
    -e|--event) COMPREPLY=($(compgen -W "cycles ref-cycles instructions llc-refs llc-misses branches branch-misses" -- "$cur")); return ;;
    -s|--sort) COMPREPLY=($(compgen -W "domain process sym srcline dso domain,process,sym domain,sym" -- "$cur")); return ;;
    --to) COMPREPLY=($(compgen -W "folded svg pprof speedscope json" -- "$cur")); return ;;
    -i|--input|-o|--output|--log|--image|--symbols) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    case $cur in
    -*) COMPREPLY=($(compgen -W "$(_perfvisor_options "$pv" "$cmd")" -- "$cur")) ;;
    help) ;;
    *)
        if [ "$cmd" = help ]; then
            COMPREPLY=($(compgen -W "$(_perfvisor_commands "$pv")" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur")) # guest images: GUEST.elf[:ARGS]
        fi
        ;;
    esac
}
complete -o filenames -F _perfvisor perfvisor
