"""Shared pytest options."""


def pytest_addoption(parser):
    parser.addoption(
        "--update-generated",
        action="store_true",
        default=False,
        help="rewrite generated/ when the freshness test finds it out of date",
    )
