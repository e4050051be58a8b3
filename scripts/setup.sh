#!/usr/bin/env bash
# Set up mmzoo on a fresh Debian/Ubuntu machine: system engines, a virtual environment, the core
# and the built-in plugins. Usage: scripts/setup.sh [--test]   (--test adds test tools and Chromium)
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

need_apt=()
command -v tesseract >/dev/null || need_apt+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf ] || need_apt+=(fonts-dejavu-extra)  # Shapes OCR pages
command -v java >/dev/null || need_apt+=(default-jre-headless)  # METEOR and the PTB tokeniser of the caption metrics
python="${PYTHON:-python3}"
"$python" -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)  # Debian splits venv out of python3
if [ "$want_test" = 1 ]; then
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need_apt+=(chromium)
  [ -d /usr/share/tesseract-ocr/5/tessdata ] && [ ! -f /usr/share/tesseract-ocr/5/tessdata/deu.traineddata ] \
    && need_apt+=(tesseract-ocr-deu)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# A venv whose pip does not run (e.g. an earlier run failed half-way) is made anew.
.venv/bin/python -m pip --version >/dev/null 2>&1 || { rm -rf .venv; "$python" -m venv .venv; }
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt)
core=".[eval,index]"
[ "$want_test" = 1 ] && core=".[eval,index,train,test]"
plugins=(-e plugins/mmzoo-tesseract -e plugins/mmzoo-espeak -e plugins/mmzoo-bert-resnet -e plugins/mmzoo-clip
         -e plugins/mmzoo-transformers -e plugins/mmzoo-classic-vl -e plugins/mmzoo-diffusers -e plugins/mmzoo-hibari
         -e 'plugins/mmzoo-tacotron2[train]' -e plugins/mmzoo-davenet)
"${pip[@]}" -e "$core" "${plugins[@]}"
.venv/bin/python -c "import mmzoo, mmzoo_tesseract, mmzoo_espeak, mmzoo_bert_resnet, mmzoo_clip, mmzoo_transformers, mmzoo_classic_vl, mmzoo_diffusers, mmzoo_hibari, mmzoo_tacotron2, mmzoo_davenet" # fail here, not later, if the install broke
echo "setup: ready ($(.venv/bin/mmzoo --version))"
