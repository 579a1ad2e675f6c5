"""Tests of the Hetzner estate: Robot, Storage Boxes, Object Storage, the Estate component and its costs."""
