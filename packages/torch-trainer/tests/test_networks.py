import os
import tempfile
import unittest

import torch

from cbmir_torch_trainer.networks import EmbeddingNetwork, build_backbone, load_init_weights


class NetworkTest(unittest.TestCase):
    def test_each_architecture_embeds_and_the_supervised_baseline_has_its_heads(self):
        for arch, size, features in [("resnet-tiny", 32, 64), ("resnet18", 64, 512), ("resnet34", 64, 512), ("resnet50", 64, 2048)]:
            with self.subTest(arch=arch):
                network = EmbeddingNetwork(arch, 16, "supervised").eval()
                out = network(torch.zeros(2, 3, size, size))
                self.assertEqual(tuple(out["pooled"].shape), (2, features))
                self.assertEqual(tuple(out["embedding"].shape), (2, 16))
                self.assertEqual(tuple(out["logits"].shape), (2, 5))
                self.assertEqual(tuple(out["grade"].shape), (2,))

    def test_siamese_tower_has_no_classifier_and_can_give_unit_length_embeddings(self):
        network = EmbeddingNetwork("resnet-tiny", 8, "siamese", normalize=True).eval()
        out = network(torch.randn(3, 3, 32, 32))
        self.assertNotIn("logits", out)
        self.assertTrue(torch.allclose(out["embedding"].norm(dim=1), torch.ones(3), atol=1e-5))

    def test_unknown_architecture_and_kind_are_refused(self):
        with self.assertRaises(ValueError):
            build_backbone("vgg16")
        with self.assertRaises(ValueError):
            EmbeddingNetwork("resnet-tiny", 8, "triplet")


class InitWeightsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_loads_a_torchvision_state_dict_by_name_and_leaves_the_heads_fresh(self):
        source, _ = build_backbone("resnet18")
        with torch.no_grad():
            for p in source.parameters():
                p.fill_(0.123)
        state = {f"module.{k}": v for k, v in source.state_dict().items()}  # DataParallel-style prefix
        state["fc.weight"] = torch.zeros(1000, 512)  # an ImageNet classifier, ignored
        file = os.path.join(self.dir.name, "resnet18.pth")
        torch.save(state, file)
        network = EmbeddingNetwork("resnet18", 16, "siamese", imagenet_input=True)
        head_before = network.embedding.weight.clone()
        loaded, missing = load_init_weights(network, file)
        self.assertIn("conv1.weight", loaded)
        self.assertEqual(missing, [])
        self.assertTrue(torch.all(network.backbone.conv1.weight == 0.123))
        self.assertTrue(torch.equal(network.embedding.weight, head_before))

    def test_a_file_of_another_network_or_no_state_dict_is_a_clear_error(self):
        other, _ = build_backbone("resnet50")
        file = os.path.join(self.dir.name, "resnet50.pth")
        torch.save(other.state_dict(), file)
        with self.assertRaisesRegex(ValueError, "shapes differ"):
            load_init_weights(EmbeddingNetwork("resnet18", 8, "siamese"), file)
        junk = os.path.join(self.dir.name, "junk.pth")
        with open(junk, "wb") as f:
            f.write(b"not a pickle")
        with self.assertRaisesRegex(ValueError, "not a PyTorch state dict"):
            load_init_weights(EmbeddingNetwork("resnet18", 8, "siamese"), junk)
        torch.save({"something": 1}, junk)
        with self.assertRaisesRegex(ValueError, "no tensor in it matches"):
            load_init_weights(EmbeddingNetwork("resnet18", 8, "siamese"), junk)


if __name__ == "__main__":
    unittest.main()
