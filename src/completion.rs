//! Shell completions for bash, zsh and fish, generated from the
//! command-line definition (`crate::clidef`): commands, each command's
//! options, option values (init kinds, eswitch modes, hooks, on/off), VF
//! settings and their values, and at run time the PFs (interface names and
//! PCI addresses of SR-IOV devices, from sysfs under `$VFNET_ROOT` as vfnet
//! reads it) and a PF's VF indexes. Each script is a small fixed engine
//! (the same rules in each shell's words) over tables written from the
//! definition. Written to `completions/` by `UPDATE_CLIDOCS=1 cargo test
//! --test clidocs`; never linked into the binary.

use crate::clidef::{self, Command, Operand, Opt, Values};

/// The first phrase of a help text, for shells that show one per word.
fn short_help(help: &str) -> String {
    let end = ["; ", " (", ": ", ". ", " {"]
        .iter()
        .filter_map(|sep| help.find(sep))
        .min()
        .unwrap_or(help.len());
    let mut s = help[..end].trim().to_string();
    if s.len() > 60 {
        let cut = s[..60].rfind(' ').unwrap_or(60);
        s.truncate(cut);
    }
    s
}

/// A word as a value: `@dir`, `@file`, `@dev`, `@any`, or the words it may
/// be (`@list` first when they are separated by commas).
fn value_words(v: Values) -> Option<String> {
    Some(match v {
        Values::Flag => return None,
        Values::Any => "@any".into(),
        Values::Dev => "@dev".into(),
        Values::File => "@file".into(),
        Values::Dir => "@dir".into(),
        Values::OneOf(w) => w.join(" "),
        Values::ListOf(w) => format!("@list {}", w.join(" ")),
        Values::AttachedListOf(w) => format!("@eq @list {}", w.join(" ")),
    })
}

fn opt_words(o: &Opt) -> Vec<String> {
    let mut w = vec![format!("--{}", o.long)];
    if let Some(c) = o.short {
        w.push(format!("-{c}"));
    }
    w
}

/// Every command's options with global ones: (command, options).
fn commands() -> impl Iterator<Item = &'static Command> {
    clidef::COMMANDS.iter()
}

fn names() -> String {
    commands().map(|c| c.name).collect::<Vec<_>>().join(" ")
}

fn operand_word(o: Operand) -> &'static str {
    match o {
        Operand::Dev => "@dev",
        Operand::Any => "@any",
        Operand::File => "@file",
        Operand::VfThenSettings => "@vf",
    }
}

const HEAD: &str = "Generated from src/clidef.rs by `UPDATE_CLIDOCS=1 cargo test --test \
                    clidocs`: change that, not this.";

/// The tables every engine reads, as `case` arms of sh-like shells:
/// (options of CMD, value of CMD's OPTION, operands of CMD, words of SETTING,
/// values of SETTING).
struct Tables {
    options: Vec<(String, String)>,
    values: Vec<(String, String)>,
    operands: Vec<(String, String)>,
}

fn tables() -> Tables {
    let mut t = Tables {
        options: Vec::new(),
        values: Vec::new(),
        operands: Vec::new(),
    };
    for c in commands() {
        let words: Vec<String> = c.options.iter().flat_map(opt_words).collect();
        t.options.push((c.name.to_string(), words.join(" ")));
        for o in c.options {
            if let Some(v) = value_words(o.values) {
                for w in opt_words(o) {
                    t.values.push((format!("{} {w}", c.name), v.clone()));
                }
            }
        }
        let ops: Vec<&str> = c.operands.iter().map(|&o| operand_word(o)).collect();
        t.operands.push((c.name.to_string(), ops.join(" ")));
    }
    let top: Vec<String> = clidef::TOP_ONLY.iter().flat_map(opt_words).collect();
    t.options.push(("\"\"".to_string(), top.join(" ")));
    for o in clidef::GLOBAL {
        if let Some(v) = value_words(o.values) {
            for w in opt_words(o) {
                t.values.push((format!("* {w}"), v.clone()));
            }
        }
    }
    t
}

fn global_words() -> String {
    clidef::GLOBAL
        .iter()
        .flat_map(opt_words)
        .collect::<Vec<_>>()
        .join(" ")
}

fn setting_names() -> String {
    clidef::SETTINGS
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The sh `case` arms `PATTERN) echo "WORDS" ;;` for `rows`.
fn arms(rows: &[(String, String)], indent: &str, quote_key: bool) -> String {
    let mut out = String::new();
    for (k, v) in rows {
        let key = match (quote_key, k.strip_prefix("* ")) {
            (true, Some(rest)) => format!("*\" {rest}\""),
            (true, None) => format!("\"{k}\""),
            (false, _) => k.clone(),
        };
        out.push_str(&format!("{indent}{key}) echo \"{v}\" ;;\n"));
    }
    out
}

fn setting_arms(indent: &str) -> (String, String) {
    let mut words = String::new();
    let mut values = String::new();
    for s in clidef::SETTINGS {
        words.push_str(&format!("{indent}{}) echo {} ;;\n", s.name, s.words));
        if let Some(v) = value_words(s.values) {
            values.push_str(&format!("{indent}{}) echo \"{v}\" ;;\n", s.name));
        }
    }
    (words, values)
}

const BASH: &str = r#"# bash completion for vfnet(8).
# @HEAD@

# The PFs: interface names and PCI addresses of SR-IOV devices.
_vfnet_pfs() {
    local r=${VFNET_ROOT-} d
    for d in "$r"/sys/class/net/*/device/sriov_totalvfs; do
        [ -e "$d" ] || continue
        d=${d%/device/sriov_totalvfs}
        printf '%s\n' "${d##*/}"
    done
    for d in "$r"/sys/bus/pci/devices/*/sriov_totalvfs; do
        [ -e "$d" ] || continue
        d=${d%/sriov_totalvfs}
        printf '%s\n' "${d##*/}"
    done
}

# The VF indexes of the PF $1.
_vfnet_vfs() {
    local r=${VFNET_ROOT-} d p
    case $1 in
    */*) return ;;
    *:*) p=$r/sys/bus/pci/devices/$1 ;;
    *) p=$r/sys/class/net/$1/device ;;
    esac
    for d in "$p"/virtfn*; do
        [ -e "$d" ] && printf '%s\n' "${d##*/virtfn}"
    done
}

# The options of the command $1.
_vfnet_options() {
    case $1 in
@OPTIONS@    esac
    echo "@GLOBALS@"
}

# What the option $2 of the command $1 takes; false for a flag.
_vfnet_value() {
    case "$1 $2" in
@VALUES@    *) return 1 ;;
    esac
}

# The operands of the command $1.
_vfnet_operands() {
    case $1 in
@OPERANDS@    esac
}

# How many words the VF setting $1 takes, and what they may be.
_vfnet_setting_words() {
    case $1 in
@SWORDS@    *) echo 1 ;;
    esac
}
_vfnet_setting_values() {
    case $1 in
@SVALUES@    esac
}

# COMPREPLY: the words of $2... that start with $1, cut where bash's word
# breaks (COMP_WORDBREAKS: = and : among them) cut $1.
_vfnet_reply() {
    local cur=$1 i pre c
    shift
    COMPREPLY=()
    for c in "$@"; do
        [[ $c == "$cur"* ]] && COMPREPLY+=("$c")
    done
    for ((i = ${#cur} - 1; i >= 0; i--)); do
        [[ ${COMP_WORDBREAKS-} == *"${cur:i:1}"* ]] && break
    done
    pre=${cur:0:i+1}
    if [ -n "$pre" ]; then
        COMPREPLY=("${COMPREPLY[@]#"$pre"}")
    fi
}

# Completes $2 as a value described by $1 (_vfnet_value's words).
_vfnet_complete_value() {
    local what=$1 cur=$2 head=
    case $what in
    @any) COMPREPLY=() ;;
    @dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    @file) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    @dev) mapfile -t c < <(_vfnet_pfs); _vfnet_reply "$cur" "${c[@]}" ;;
    @list\ *)
        [[ $cur == *,* ]] && head=${cur%,*},
        local -a w=()
        for c in ${what#@list }; do w+=("$head$c"); done
        _vfnet_reply "$cur" "${w[@]}"
        ;;
    *) _vfnet_reply "$cur" $what ;;
    esac
}

_vfnet() {
    local line=${COMP_LINE:0:COMP_POINT} cmd= i w v cur
    local -a words=() ops=() c=()
    read -ra words <<< "$line"
    [[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
    cur=${words[-1]}
    COMPREPLY=()
    for ((i = 1; i < ${#words[@]} - 1; i++)); do
        w=${words[i]}
        case $w in
        --) break ;;
        --*=*) continue ;;
        -*)
            v=$(_vfnet_value "${cmd:-*}" "$w") && [[ $v != @eq* ]] && ((i++))
            continue
            ;;
        esac
        if [ -z "$cmd" ]; then cmd=$w; else ops+=("$w"); fi
    done
    if ((${#words[@]} > 2)) && v=$(_vfnet_value "${cmd:-*}" "${words[-2]}") && [[ $v != @eq* ]]; then
        _vfnet_complete_value "$v" "$cur"
        return
    fi
    case $cur in
    --*=*)
        v=$(_vfnet_value "${cmd:-*}" "${cur%%=*}") || return
        _vfnet_complete_value "${v#@eq }" "${cur#*=}"
        return
        ;;
    -*)
        _vfnet_reply "$cur" $(_vfnet_options "$cmd")
        return
        ;;
    esac
    if [ -z "$cmd" ]; then
        _vfnet_reply "$cur" @NAMES@
        return
    fi
    local -a kinds=()
    read -ra kinds <<< "$(_vfnet_operands "$cmd")"
    local n=${#ops[@]} k
    # Past the last operand: more settings when it is vf's, else nothing.
    k=@none
    if ((n < ${#kinds[@]})); then
        k=${kinds[n]}
    elif ((${#kinds[@]} > 0)) && [ "${kinds[${#kinds[@]} - 1]}" = @vf ]; then
        k=@vf
    fi
    case $k in
    @vf)
        if ((n == 1)); then
            mapfile -t c < <(_vfnet_vfs "${ops[0]}")
            _vfnet_reply "$cur" "${c[@]}" free
            return
        fi
        [ "${ops[1]}" = free ] && return
        i=2
        while ((i < n)); do
            [ "${ops[i]}" = free ] && return
            w=$(_vfnet_setting_words "${ops[i]}")
            if ((n <= i + w)); then
                ((n == i + 1)) && _vfnet_complete_value "$(_vfnet_setting_values "${ops[i]}")" "$cur"
                return
            fi
            ((i += 1 + w))
        done
        if ((i == 2)); then
            _vfnet_reply "$cur" @SETTINGS@ free
        else
            _vfnet_reply "$cur" @SETTINGS@
        fi
        ;;
    @none | @any | '') ;;
    *) _vfnet_complete_value "$k" "$cur" ;;
    esac
}
complete -F _vfnet vfnet
"#;

/// The bash completion (`complete -F _vfnet vfnet`).
pub fn bash() -> String {
    filled(BASH)
}

const ZSH: &str = r#"#compdef vfnet
# zsh completion for vfnet(8).
# @HEAD@

# The PFs: interface names and PCI addresses of SR-IOV devices.
_vfnet_pfs() {
    local d
    for d in ${VFNET_ROOT-}/sys/class/net/*/device/sriov_totalvfs(N); do
        d=${d%/device/sriov_totalvfs}
        print -r -- ${d:t}
    done
    for d in ${VFNET_ROOT-}/sys/bus/pci/devices/*/sriov_totalvfs(N); do
        print -r -- ${${d%/sriov_totalvfs}:t}
    done
}

# The VF indexes of the PF $1.
_vfnet_vfs() {
    local d p
    case $1 in
    */*) return ;;
    *:*) p=${VFNET_ROOT-}/sys/bus/pci/devices/$1 ;;
    *) p=${VFNET_ROOT-}/sys/class/net/$1/device ;;
    esac
    for d in $p/virtfn*(N); do
        print -r -- ${d##*/virtfn}
    done
}

# The options of the command $1, as OPTION:WHAT (for _describe).
_vfnet_options() {
    case $1 in
@ZOPTIONS@    esac
    print -rl -- @ZGLOBALS@
}

_vfnet_value() {
    case "$1 $2" in
@VALUES@    *) return 1 ;;
    esac
}

_vfnet_operands() {
    case $1 in
@OPERANDS@    esac
}

_vfnet_setting_words() {
    case $1 in
@SWORDS@    *) echo 1 ;;
    esac
}
_vfnet_setting_values() {
    case $1 in
@SVALUES@    esac
}

# Adds the candidates for a value described by $1.
_vfnet_add_value() {
    local what=$1
    case $what in
    @any) ;;
    @dir) _files -/ ;;
    @file) _files ;;
    @dev) compadd -- ${(f)"$(_vfnet_pfs)"} ;;
    @list\ *) _values -s , value ${=what#@list } ;;
    *) compadd -- ${=what} ;;
    esac
}

_vfnet() {
    local cmd= i w v cur=${words[CURRENT]}
    local -a ops kinds
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        case $w in
        --) break ;;
        --*=*) continue ;;
        -*)
            v=$(_vfnet_value "${cmd:-*}" "$w") && [[ $v != @eq* ]] && ((i++))
            continue
            ;;
        esac
        if [[ -z $cmd ]]; then cmd=$w; else ops+=("$w"); fi
    done
    if ((CURRENT > 2)) && v=$(_vfnet_value "${cmd:-*}" "${words[CURRENT-1]}") && [[ $v != @eq* ]]; then
        _vfnet_add_value "$v"
        return
    fi
    case $cur in
    --*=*)
        v=$(_vfnet_value "${cmd:-*}" "${cur%%=*}") || return
        compset -P '*='
        _vfnet_add_value "${v#@eq }"
        return
        ;;
    -*)
        local -a specs
        specs=(${(f)"$(_vfnet_options "$cmd")"})
        _describe -t options option specs
        return
        ;;
    esac
    if [[ -z $cmd ]]; then
        local -a cmds
        cmds=(@ZCOMMANDS@)
        _describe -t commands command cmds
        return
    fi
    kinds=(${=$(_vfnet_operands "$cmd")})
    local n=${#ops} k
    if ((n < ${#kinds})); then k=${kinds[n+1]}; else k=${kinds[-1]:-}; [[ $k == @vf ]] || k=@none; fi
    case $k in
    @vf)
        if ((n == 1)); then
            compadd -- ${(f)"$(_vfnet_vfs "${ops[1]}")"} free
            return
        fi
        [[ ${ops[2]} == free ]] && return
        i=2
        while ((i < n)); do
            [[ ${ops[i+1]} == free ]] && return
            w=$(_vfnet_setting_words "${ops[i+1]}")
            if ((n <= i + w)); then
                ((n == i + 1)) && _vfnet_add_value "$(_vfnet_setting_values "${ops[i+1]}")"
                return
            fi
            ((i += 1 + w))
        done
        if ((i == 2)); then
            compadd -- @SETTINGS@ free
        else
            compadd -- @SETTINGS@
        fi
        ;;
    @none | @any | '') ;;
    *) _vfnet_add_value "$k" ;;
    esac
}

_vfnet "$@"
"#;

/// The zsh completion (`#compdef vfnet`, for a directory in `$fpath`):
/// commands and options come with what they do (`_describe`).
pub fn zsh() -> String {
    let spec = |word: &str, help: &str| {
        let what = short_help(help).replace('\\', "").replace(':', "\\:");
        zsh_quote(&format!("{word}:{what}"))
    };
    let opt_specs = |opts: &mut dyn Iterator<Item = &Opt>| {
        let mut out = Vec::new();
        for o in opts {
            for w in opt_words(o) {
                out.push(spec(&w, o.help));
            }
        }
        out.join(" ")
    };
    let mut options = String::new();
    for c in commands() {
        let specs = opt_specs(&mut c.options.iter());
        if !specs.is_empty() {
            options.push_str(&format!("    {}) print -rl -- {specs} ;;\n", c.name));
        }
    }
    options.push_str(&format!(
        "    \"\") print -rl -- {} ;;\n",
        opt_specs(&mut clidef::TOP_ONLY.iter())
    ));
    let globals = opt_specs(&mut clidef::GLOBAL.iter());
    let cmds: Vec<String> = commands().map(|c| spec(c.name, c.brief.1)).collect();
    filled(ZSH)
        .replace("@ZOPTIONS@", &options)
        .replace("@ZGLOBALS@", &globals)
        .replace("@ZCOMMANDS@", &cmds.join(" "))
}

/// A word in zsh's single quotes.
fn zsh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// An sh-like engine (`BASH`, `ZSH`) with the definition's tables in its
/// `@NAME@` places.
fn filled(engine: &str) -> String {
    let t = tables();
    let (swords, svalues) = setting_arms("    ");
    engine
        .replace("@HEAD@", HEAD)
        .replace("@OPTIONS@", &arms(&t.options, "    ", false))
        .replace("@VALUES@", &arms(&t.values, "    ", true))
        .replace("@OPERANDS@", &arms(&t.operands, "    ", false))
        .replace("@GLOBALS@", &global_words())
        .replace("@NAMES@", &names())
        .replace("@SETTINGS@", &setting_names())
        .replace("@SWORDS@", &swords)
        .replace("@SVALUES@", &svalues)
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The fish engine: the PFs, the words before the cursor, the command.
const FISH: &str = r#"# fish completion for vfnet(8).
# @HEAD@

# The PFs: interface names and PCI addresses of SR-IOV devices.
function __vfnet_pfs
    for d in $VFNET_ROOT/sys/class/net/*/device/sriov_totalvfs
        string replace -r '^.*/net/([^/]*)/device/sriov_totalvfs$' '$1' -- $d
    end
    for d in $VFNET_ROOT/sys/bus/pci/devices/*/sriov_totalvfs
        string replace -r '^.*/devices/([^/]*)/sriov_totalvfs$' '$1' -- $d
    end
end

# The words of the command line before the cursor that are not options:
# the command first. Global options' values are skipped.
function __vfnet_words
    set -l skip 0
    set -l t (commandline -opc)
    set -e t[1]
    for w in $t
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case --root --config
                set skip 1
            case '-*'
            case '*'
                echo $w
        end
    end
end

# True when the command is one of $argv (or, with none given, when there is none yet).
function __vfnet_using
    set -l w (__vfnet_words)
    if test (count $argv) -eq 0
        test (count $w) -eq 0
    else
        contains -- "$w[1]" $argv
    end
end

# The candidates for the operands of the command.
function __vfnet_operands
    set -l w (__vfnet_words)
    set -l n (math (count $w) - 1)
    switch "$w[1]"
"#;

/// The fish completion (`complete -c vfnet ...`).
pub fn fish() -> String {
    let mut out = FISH.replace("@HEAD@", HEAD);
    fish_operands(&mut out);
    fish_vf_args(&mut out);
    fish_lines(&mut out);
    out
}

/// `__vfnet_operands`' cases: each command's operands.
fn fish_operands(out: &mut String) {
    for c in commands() {
        if c.operands.is_empty() {
            continue;
        }
        out.push_str(&format!("        case {}\n", c.name));
        for (i, o) in c.operands.iter().enumerate() {
            match o {
                Operand::Dev => {
                    out.push_str(&format!("            test $n -eq {i}; and __vfnet_pfs\n"));
                }
                Operand::File => {
                    out.push_str(&format!(
                        "            test $n -eq {i}; and __fish_complete_path (commandline -ct)\n"
                    ));
                }
                Operand::Any => {}
                Operand::VfThenSettings => {
                    out.push_str("            test $n -ge 1; and __vfnet_vf_args $w[2..-1]\n");
                }
            }
        }
    }
    out.push_str("    end\nend\n\n");
}

/// `__vfnet_vf_args` and `__vfnet_setting_values`: vf's words after DEV.
fn fish_vf_args(out: &mut String) {
    out.push_str(
        "# vf's words after DEV: its VF indexes and free, then settings and values.\n\
         function __vfnet_vf_args\n    set -l n (count $argv)\n    if test $n -eq 1\n        \
         set -l r $VFNET_ROOT/sys/class/net/$argv[1]/device\n        \
         string match -q '*:*' -- $argv[1]; and set r $VFNET_ROOT/sys/bus/pci/devices/$argv[1]\n        \
         for d in $r/virtfn*\n            string replace -r '^.*/virtfn' '' -- $d\n        end\n        \
         echo free\n        return\n    end\n    contains -- free $argv; and return\n    \
         set -l i 3\n    while test $i -le $n\n        set -l k $argv[$i]\n        set -l words 1\n        \
         switch $k\n",
    );
    for s in clidef::SETTINGS.iter().filter(|s| s.words != 1) {
        out.push_str(&format!(
            "            case {}\n                set words {}\n",
            s.name, s.words
        ));
    }
    out.push_str(
        "        end\n        if test $n -lt (math $i + $words)\n            \
         test $n -eq $i; and __vfnet_setting_values $k\n            return\n        end\n        \
         set i (math $i + 1 + $words)\n    end\n",
    );
    out.push_str(&format!(
        "    printf '%s\\n' {}\n    test $n -eq 2; and echo free\nend\n\n",
        setting_names()
    ));
    out.push_str("function __vfnet_setting_values\n    switch $argv[1]\n");
    for s in clidef::SETTINGS {
        if let Values::OneOf(w) = s.values {
            out.push_str(&format!(
                "        case {}\n            printf '%s\\n' {}\n",
                s.name,
                w.join(" ")
            ));
        }
    }
}

/// The `complete` lines: commands, operands, options and their values.
fn fish_lines(out: &mut String) {
    out.push_str("    end\nend\n\ncomplete -c vfnet -f\n");
    for c in commands() {
        out.push_str(&format!(
            "complete -c vfnet -n '__vfnet_using' -a {} -d {}\n",
            c.name,
            fish_quote(&short_help(c.brief.1))
        ));
    }
    out.push_str("complete -c vfnet -a '(__vfnet_operands)'\n");
    let option = |cond: &str, o: &Opt| {
        let mut line = format!("complete -c vfnet {cond}-l {}", o.long);
        if let Some(s) = o.short {
            line.push_str(&format!(" -s {s}"));
        }
        match o.values {
            Values::Flag => {}
            Values::Any => line.push_str(" -x"),
            Values::Dev => line.push_str(" -x -a '(__vfnet_pfs)'"),
            Values::File => line.push_str(" -r -F"),
            Values::Dir => line.push_str(" -x -a '(__fish_complete_directories)'"),
            Values::OneOf(w) | Values::ListOf(w) => {
                line.push_str(&format!(" -x -a {}", fish_quote(&w.join(" "))))
            }
            Values::AttachedListOf(w) => {
                line.push_str(&format!(" -a {}", fish_quote(&w.join(" "))))
            }
        }
        line.push_str(&format!(" -d {}\n", fish_quote(&short_help(o.help))));
        line
    };
    for o in clidef::GLOBAL {
        out.push_str(&option("", o));
    }
    for o in clidef::TOP_ONLY {
        out.push_str(&option("-n '__vfnet_using' ", o));
    }
    for c in commands() {
        for o in c.options {
            out.push_str(&option(&format!("-n '__vfnet_using {}' ", c.name), o));
        }
    }
}

/// Every generated completion: (path in the repository, text).
pub fn files() -> Vec<(String, String)> {
    vec![
        ("completions/vfnet.bash".into(), bash()),
        ("completions/_vfnet".into(), zsh()),
        ("completions/vfnet.fish".into(), fish()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_help_is_the_first_phrase() {
        assert_eq!(
            short_help("print what would change; exit"),
            "print what would change"
        );
        assert!(short_help(&"word ".repeat(40)).len() <= 60);
    }

    #[test]
    fn every_option_of_every_command_is_offered() {
        let b = bash();
        for c in clidef::COMMANDS {
            for o in c.options {
                assert!(
                    b.contains(&format!("--{}", o.long)),
                    "{} --{}",
                    c.name,
                    o.long
                );
            }
        }
    }
}
