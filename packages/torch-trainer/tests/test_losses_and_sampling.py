import unittest

import numpy as np
import torch

from cbmir_torch_trainer.losses import contrastive_loss, supervised_contrastive_loss, supervised_loss
from cbmir_torch_trainer.metrics import quadratic_kappa, retrieval_metrics
from cbmir_torch_trainer.sampling import draw_batch, grade_weights, pair_masks


class PairTest(unittest.TestCase):
    def test_pairs_never_join_one_patient_or_an_image_with_itself(self):
        grades = torch.tensor([0, 0, 0, 1])
        patients = torch.tensor([7, 7, 8, 9])
        positive, negative = pair_masks(grades, patients)
        self.assertFalse(bool(positive[0, 1]))  # same patient, same grade: not a pair
        self.assertTrue(bool(positive[0, 2]))
        self.assertTrue(bool(negative[0, 3]))
        self.assertFalse(bool((positive | negative).diagonal().any()))
        self.assertFalse(bool((positive | negative).tril().any()))  # each pair once

    def test_balance_one_draws_every_grade_equally_often(self):
        grades = np.array([0] * 90 + [1] * 9 + [4] * 1)
        weights = grade_weights(grades, 1.0)
        per_grade = [weights[grades == g].sum() for g in (0, 1, 4)]
        np.testing.assert_allclose(per_grade, [1 / 3] * 3)
        natural = grade_weights(grades, 0.0)
        np.testing.assert_allclose(natural, np.full(100, 0.01))
        draws = draw_batch(weights, 3000, np.random.default_rng(0))
        self.assertAlmostEqual(float((grades[draws] == 4).mean()), 1 / 3, delta=0.05)


class LossTest(unittest.TestCase):
    def test_contrastive_loss_is_the_papers_formula(self):
        e = torch.tensor([[0.0, 0.0], [0.3, 0.4], [3.0, 4.0]])  # distances 0.5 (0-1), 5 (0-2), ~4.5 (1-2)
        positive = torch.zeros(3, 3, dtype=torch.bool)
        negative = torch.zeros(3, 3, dtype=torch.bool)
        positive[0, 1] = True
        negative[0, 2] = True
        negative[1, 2] = True
        loss = contrastive_loss(e, positive, negative, margin=1.0, positive_fraction=0.5)
        # same pair at 0.5: 0.5 * 0.25; different pairs beyond the margin: 0
        self.assertAlmostEqual(float(loss), 0.5 * 0.125, places=5)
        close = contrastive_loss(torch.tensor([[0.0, 0.0], [0.6, 0.0]]), torch.zeros(2, 2, dtype=torch.bool),
                                 torch.tensor([[False, True], [False, False]]), margin=1.0, positive_fraction=0.5)
        self.assertAlmostEqual(float(close), 0.5 * 0.4**2, places=5)

    def test_supervised_contrastive_loss_prefers_same_pairs_nearer(self):
        grades = torch.tensor([0, 0, 1, 1])
        positive, negative = pair_masks(grades, torch.arange(4))
        both, valid = positive | positive.T, (positive | positive.T) | (negative | negative.T)
        good = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
        bad = good[[0, 2, 1, 3]]
        self.assertLess(float(supervised_contrastive_loss(good, both, valid, 0.1)), float(supervised_contrastive_loss(bad, both, valid, 0.1)))

    def test_supervised_loss_adds_the_ordinal_regression_when_asked(self):
        outputs = {"logits": torch.zeros(2, 5), "grade": torch.tensor([0.0, 0.0])}
        grades = torch.tensor([0, 4])
        ce = float(supervised_loss(outputs, grades, 0.0))
        self.assertAlmostEqual(ce, float(np.log(5)), places=5)
        self.assertAlmostEqual(float(supervised_loss(outputs, grades, 1.0)) - ce, (0 + 3.5) / 2, places=5)


class MetricsTest(unittest.TestCase):
    def test_perfect_embedding_scores_one_and_own_patient_is_left_out(self):
        grades = np.array([0, 0, 1, 1, 0, 1])
        patients = np.arange(6)
        embeddings = grades[:, None].astype(float) * np.array([[10.0, 0.0]]) + np.random.default_rng(0).normal(0, 0.01, (6, 2))
        m = retrieval_metrics(embeddings, grades, patients)
        self.assertAlmostEqual(m["map"], 1.0)
        self.assertAlmostEqual(m["macroMap"], 1.0)
        self.assertAlmostEqual(m["voteKappa"], 1.0)
        # Both of a patient's images identical and alone in their grade: with the patient left out, nothing relevant remains.
        m = retrieval_metrics(np.array([[0.0], [0.0], [5.0], [5.0]]), np.array([1, 1, 0, 0]), np.array([1, 1, 2, 3]))
        self.assertEqual(m["mrr"], 0.5)  # the grade-1 queries find no grade-1 image of another patient

    def test_quadratic_kappa(self):
        self.assertAlmostEqual(quadratic_kappa(np.array([0, 1, 2]), np.array([0, 1, 2]), 5), 1.0)
        self.assertLess(quadratic_kappa(np.array([0, 4, 0, 4]), np.array([4, 0, 4, 0]), 5), 0)


if __name__ == "__main__":
    unittest.main()
