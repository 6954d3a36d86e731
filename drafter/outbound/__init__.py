"""What leaves drafter for another system: reply emails, and drafts appended to an IMAP mailbox.

Only the CLI, the App and batch import this package (tests/test_architecture.py checks it), so the
places that write outward are few and easy to find.
"""
