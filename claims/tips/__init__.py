"""Readers' tips: the public form and API, Telegram and WhatsApp, and telling tipsters about the verdict."""
