from careloop.web.staff.patients.tests.sign_in_stub import sign_in_pages

__all__ = ["sign_in_pages"]
