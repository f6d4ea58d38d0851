"""Tata CLiQ marketplace protocol: client, codecs, SFTP exchange and errors.

This package imports nothing from Odoo.
"""
