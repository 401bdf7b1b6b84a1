"""Shell hooks that re-export the variables before a prompt, once the token nears expiry.

While the token is fresh the hook starts no process: it compares the shell's own clock
(`$SECONDS` in bash and zsh, two `path mtime` builtins in fish) with a deadline the tool
printed along with the variables (`hook SHELL --refresh`). Every argument in a snippet is
quoted for its shell, and none is echoed into a comment.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..output.formats import fish, sh

SHELLS = ("bash", "zsh", "fish")
FORMAT_OF_SHELL = {"bash": "sh", "zsh": "sh", "fish": "fish"}
DEADLINE = "_vertex_openai_env_refresh_in"
RETRY = 60  # seconds between attempts after a failed refresh

# ${SECONDS%.*}: zsh users may make SECONDS a float (typeset -F SECONDS); `[ -le ]` and
# the assignment below want whole seconds.
_SH_FUNCTION = """\
_vertex_openai_env_hook() {{
  if [ "${{_vertex_openai_env_due:-0}}" -le "${{SECONDS%.*}}" ]; then
    local out
    if out="$(command vertex-openai-env hook {shell} --refresh {args})"; then
      eval "$out"
      _vertex_openai_env_due=$(( ${{SECONDS%.*}} + {deadline} ))
    else
      _vertex_openai_env_due=$(( ${{SECONDS%.*}} + {retry} ))
    fi
  fi
}}
"""

_BASH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.bashrc:
#   eval "$(vertex-openai-env hook bash [your options])"
{function}case ";${{PROMPT_COMMAND:-}};" in
  *";_vertex_openai_env_hook;"*) ;;
  *) PROMPT_COMMAND="_vertex_openai_env_hook${{PROMPT_COMMAND:+;$PROMPT_COMMAND}}" ;;
esac
"""

_ZSH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.zshrc:
#   eval "$(vertex-openai-env hook zsh [your options])"
{function}autoload -Uz add-zsh-hook
add-zsh-hook precmd _vertex_openai_env_hook
"""

_FISH = """\
# vertex-openai-env: keep OPENAI_API_KEY fresh. Add to ~/.config/fish/config.fish:
#   vertex-openai-env hook fish [your options] | source
function _vertex_openai_env_hook --on-event fish_prompt
    # Builtins only: the modification time of / plus the time since then is now.
    set -l now (math (path mtime /) + (path mtime --relative /))
    if set -q _vertex_openai_env_due; and test $now -lt $_vertex_openai_env_due
        return
    end
    if set -l out (command vertex-openai-env hook fish --refresh {args})
        printf '%s\\n' $out | source
        set -g _vertex_openai_env_due (math $now + ${deadline})
    else
        set -g _vertex_openai_env_due (math $now + {retry})
    end
end
"""


def snippet(shell: str, args: Sequence[str]) -> str:
    """The rc-file snippet for `shell`, re-running the tool with `args` when needed."""
    if shell == "fish":
        quoted = " ".join(fish.quote(arg) for arg in args)
        return _FISH.format(args=quoted, deadline=DEADLINE, retry=RETRY)
    quoted = " ".join(sh.quote(arg) for arg in args)
    function = _SH_FUNCTION.format(shell=shell, args=quoted, deadline=DEADLINE, retry=RETRY)
    return (_BASH if shell == "bash" else _ZSH).format(function=function)


def deadline_line(shell: str, seconds: int) -> str:
    """The shell-local (not exported) variable telling the hook when to refresh next."""
    if shell == "fish":
        return f"set -g {DEADLINE} {int(seconds)}\n"
    return f"{DEADLINE}={int(seconds)}\n"
