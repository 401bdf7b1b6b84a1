"""Shell hooks that re-export the variables before a prompt and before a command, once the
token nears expiry.

While the token is fresh the hook starts no process: it compares the shell's own clock
(`$SECONDS` in bash and zsh, two `path mtime` builtins in fish) with a deadline the tool
printed along with the variables (`hook SHELL --refresh`). Every argument in a snippet is
quoted for its shell, and none is echoed into a comment.

A failed refresh is said once: `--refresh --said DIGEST` names the failure the shell last
showed, and the tool stays quiet when it fails the same way again (see `failure_line`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..output.formats import fish, sh

SHELLS = ("bash", "zsh", "fish")
FORMAT_OF_SHELL = {"bash": "sh", "zsh": "sh", "fish": "fish"}
DEADLINE = "_vertex_openai_env_refresh_in"
SAID = "_vertex_openai_env_said"
RETRY = 60  # seconds between attempts after a failed refresh

# ${SECONDS%.*}: zsh users may make SECONDS a float (typeset -F SECONDS); `[ -le ]` and
# the assignment below want whole seconds. On failure the tool prints only the SAID line.
_SH_FUNCTION = """\
_vertex_openai_env_hook() {{
  if [ "${{_vertex_openai_env_due:-0}}" -le "${{SECONDS%.*}}" ]; then
    local out
    if out="$(command vertex-openai-env hook {shell} --refresh --said "${{{said}-}}" {args})"; then
      eval "$out"
      {said}=
      _vertex_openai_env_due=$(( ${{SECONDS%.*}} + {deadline} ))
    else
      eval "$out"
      _vertex_openai_env_due=$(( ${{SECONDS%.*}} + {retry} ))
    fi
  fi
}}
"""

# Before a command, bash has PS0 and the DEBUG trap. PS0's command substitutions run in a
# subshell, so a refresh there could not set the shell's variables; the DEBUG trap runs in
# the shell itself, and while the token is fresh it costs one arithmetic test, no process.
# It runs before every simple command typed, so the test comes first, in the trap, to keep
# even the function call out of loops. A DEBUG trap already set (bash-preexec, a prompt
# theme) is kept and runs first, seeing its own $?. It can only be read at the top level
# (a sourced file or a function sees none), so the trap is set at the first prompt, by a
# step of PROMPT_COMMAND that then removes itself: later prompts start no process.
_ARM = '_vertex_openai_env_arm "$(trap -p DEBUG)";'
_BASH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.bashrc:
#   eval "$(vertex-openai-env hook bash [your options])"
{function}_vertex_openai_env_arm() {{
  PROMPT_COMMAND=${{PROMPT_COMMAND//'{arm}'/}}
  local old=${{1#"trap -- "}}
  eval "old=${{old%" DEBUG"}}"
  case "$old" in *_vertex_openai_env_hook*) return ;; esac
  local fresh='(( ${{SECONDS%.*}} < ${{_vertex_openai_env_due:-0}} ))'
  trap "${{old:+$old;}}$fresh || _vertex_openai_env_hook" DEBUG
}}
case ";${{PROMPT_COMMAND:-}};" in
  *";_vertex_openai_env_hook;"*) ;;
  *) PROMPT_COMMAND='{arm}_vertex_openai_env_hook'"${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}" ;;
esac
"""

_ZSH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.zshrc:
#   eval "$(vertex-openai-env hook zsh [your options])"
{function}autoload -Uz add-zsh-hook
add-zsh-hook precmd _vertex_openai_env_hook
add-zsh-hook preexec _vertex_openai_env_hook
"""

_FISH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.config/fish/config.fish:
#   vertex-openai-env hook fish [your options] | source
function _vertex_openai_env_hook --on-event fish_prompt --on-event fish_preexec
    # Builtins only: the modification time of / plus the time since then is now.
    set -l now (math (path mtime /) + (path mtime --relative /))
    if set -q _vertex_openai_env_due; and test $now -lt $_vertex_openai_env_due
        return
    end
    set -q {said}; or set -g {said} ''
    if set -l out (command vertex-openai-env hook fish --refresh --said ${said} {args})
        printf '%s\\n' $out | source
        set -g {said} ''
        set -g _vertex_openai_env_due (math $now + ${deadline})
    else
        printf '%s\\n' $out | source
        set -g _vertex_openai_env_due (math $now + {retry})
    end
end
"""


def snippet(shell: str, args: Sequence[str]) -> str:
    """The rc-file snippet for `shell`, re-running the tool with `args` when needed."""
    if shell == "fish":
        quoted = " ".join(fish.quote(arg) for arg in args)
        return _FISH.format(args=quoted, deadline=DEADLINE, retry=RETRY, said=SAID)
    quoted = " ".join(sh.quote(arg) for arg in args)
    function = _SH_FUNCTION.format(
        shell=shell, args=quoted, deadline=DEADLINE, retry=RETRY, said=SAID
    )
    if shell == "bash":
        return _BASH.format(function=function, arm=_ARM)
    return _ZSH.format(function=function)


def deadline_line(shell: str, seconds: int) -> str:
    """The shell-local (not exported) variable telling the hook when to refresh next."""
    if shell == "fish":
        return f"set -g {DEADLINE} {int(seconds)}\n"
    return f"{DEADLINE}={int(seconds)}\n"


def digest(message: str) -> str:
    """A short name for a failure's words: the same failure, the same name."""
    return hashlib.sha256(message.encode()).hexdigest()[:16]


def failure_line(shell: str, message: str) -> str:
    """What a failed refresh prints on stdout: only the name of the failure it said (hex,
    safe in every shell), so that the next attempt knows whether it was already said."""
    if shell == "fish":
        return f"set -g {SAID} {digest(message)}\n"
    return f"{SAID}={digest(message)}\n"
