"""Tata CLiQ marketplace simulator: HTTP and SFTP on loopback with real state."""
