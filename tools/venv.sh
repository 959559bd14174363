# Sourced by the install scripts: installs a Python program from PyPI into its own virtualenv
# under .tools/NAME from the pinned tools/NAME.requirements.txt, unless it is there already.
#
#   install_venv NAME EXECUTABLE
install_venv() {
  local name="$1" executable="$2"
  local here venv stamp requirements
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  venv="$here/../.tools/$name"
  stamp="$venv/.requirements"
  requirements="$here/$name.requirements.txt"
  if ! cmp -s "$requirements" "$stamp" 2>/dev/null || [ ! -x "$venv/bin/$executable" ]; then
    printf '[install] %s (tools/%s.requirements.txt)\n' "$name" "$name" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}
