"""A complete training recipe on mmzoo.train in 30 lines: name the colour a Shapes caption gives first.

    python demos/colour_probe.py --data "shapes?n=200" --out runs/colour-probe --epochs 10
"""
import argparse

import torch
from torchvision.transforms.functional import to_tensor

from mmzoo.data.shapes import COLOURS
from mmzoo.data.specs import caption_items, train_and_val
from mmzoo.media import load_image
from mmzoo.train import Recipe, TrainConfig, fit, precompute, save_checkpoint

NAMES = list(COLOURS)


def examples(items):
    """(32x32 pixels, index of the first colour word of the first caption), decoded once."""
    labelled = [(i, next(NAMES.index(w) for w in i.captions[0].split() if w in NAMES)) for i in items]
    pixels = precompute(lambda chunk: torch.stack([to_tensor(load_image(i.image).resize((32, 32))) for i, _ in chunk]),
                        labelled)
    return pixels, torch.tensor([label for _, label in labelled])


class ColourProbe(Recipe):
    metric = "accuracy"  # picks best/

    def __init__(self, train_items, val_items):
        self.x, self.y = examples(train_items)
        self.val_x, self.val_y = examples(val_items)
        self.model = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 1), torch.nn.ReLU(),  # a colour detector per pixel
                                         torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, len(NAMES)))
        self.samples = list(range(len(self.y)))  # what each epoch shuffles and batches

    def loss(self, batch):
        return torch.nn.functional.cross_entropy(self.model(self.x[batch]), self.y[batch])

    def validate(self):
        return {"accuracy": (self.model(self.val_x).argmax(1) == self.val_y).float().mean().item()}

    def save(self, folder):
        save_checkpoint(folder, self.model, {"colours": NAMES})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="shapes?n=200")
    parser.add_argument("--out", default="runs/colour-probe")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    recipe = ColourProbe(*train_and_val(caption_items, args.data))
    for record in fit(recipe, TrainConfig(epochs=args.epochs, batch_size=16, lr=1e-2, device="cpu"), args.out):
        print(record)
