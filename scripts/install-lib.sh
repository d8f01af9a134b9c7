# Sourced by scripts/setup and reference/other-build: the two install steps they share.
# Each is idempotent: on a ready machine it only checks and returns.

# ensure_debian_packages PKG...: installs those of PKG that are not installed yet (as root,
# or through sudo).
ensure_debian_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "${0##*/}: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ensure_venv DIR REQUIREMENTS PYTHON [VENV_OPTION...]: a virtual environment in DIR made by
# PYTHON with REQUIREMENTS installed, keyed on the requirements file: a changed pin remakes it.
ensure_venv() {
  local dir="$1" requirements="$2" python="$3"
  shift 3
  local stamp="$dir/.requirements.sha256" want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "${0##*/}: creating $dir with $(grep -v '^#' "$requirements" | tr '\n' ' ')"
  "$python" -m venv "$@" "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip
  "$dir/bin/python" -m pip install -q -r "$requirements"
  echo "$want" > "$stamp"
}
