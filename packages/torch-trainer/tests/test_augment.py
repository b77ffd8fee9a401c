import unittest

import torch

from cbmir_torch_trainer.augment import Augmentation, augment

NONE = Augmentation(max_offset=0, max_zoom=0, rotate=False, flip_horizontal=False, flip_vertical=False, blur_probability=0)


class AugmentTest(unittest.TestCase):
    def test_no_augmentation_is_the_identity(self):
        x = torch.rand(2, 3, 16, 16) * 2 - 1
        y = augment(x, torch.Generator().manual_seed(0), NONE)
        self.assertTrue(torch.allclose(x, y, atol=1e-5))

    def test_flips_mirror_and_rotation_brings_in_neutral_corners(self):
        x = torch.zeros(1, 1, 8, 8)
        x[..., 0] = 1.0  # left column lit
        flips = Augmentation(max_offset=0, max_zoom=0, rotate=False, flip_horizontal=True, flip_vertical=False, blur_probability=0)
        seen = set()
        for seed in range(10):
            y = augment(x, torch.Generator().manual_seed(seed), flips)
            seen.add("right" if float(y[..., -1].mean()) > 0.9 else "left")
        self.assertEqual(seen, {"left", "right"})
        rotated = augment(torch.ones(4, 3, 32, 32), torch.Generator().manual_seed(3), Augmentation(blur_probability=0, max_zoom=0))
        # corners of a rotated square come from outside the image: neutral 0
        self.assertLess(float(rotated[:, :, 0, 0].abs().max()), 1.0)

    def test_blur_keeps_the_mean_and_lowers_the_contrast(self):
        x = torch.zeros(1, 3, 32, 32)
        x[..., ::2, :] = 1.0
        blur = Augmentation(max_offset=0, max_zoom=0, rotate=False, flip_horizontal=False, flip_vertical=False, blur_probability=1.0, max_blur_sigma=1.5)
        y = augment(x, torch.Generator().manual_seed(0), blur)
        centre = (slice(None), slice(None), slice(8, 24), slice(8, 24))
        self.assertAlmostEqual(float(y[centre].mean()), float(x[centre].mean()), places=2)
        self.assertLess(float(y[centre].std()), float(x[centre].std()))


if __name__ == "__main__":
    unittest.main()
