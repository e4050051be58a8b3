"""Copy a run's checkpoint into a plugin's weights folder, tensors stored as float16 (half the size).

    python scripts/ship_checkpoint.py runs/shapes-diffusion/epoch-10 \
        plugins/mmzoo-diffusers/mmzoo_diffusers/weights/shapes-diffusion
"""

import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

source, target = Path(sys.argv[1]), Path(sys.argv[2])
target.mkdir(parents=True, exist_ok=True)
for item in source.iterdir():
    if item.name == "model.safetensors":
        save_file({k: v.to(torch.float16) if v.is_floating_point() else v for k, v in load_file(item).items()},
                  target / item.name)
    elif item.is_file() and item.suffix in (".json", ".png"):
        shutil.copy2(item, target / item.name)
print(f"wrote {target}")
