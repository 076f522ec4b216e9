"""Command line for programme staff: add a further house (community) with its first organiser.

    .venv/bin/python -m services.members.cli create-community --name "Haus am Park" \
        --organiser-email anna@example.org --organiser-name "Anna Schulz"

The password is asked for (or taken from ORGANISER_PASSWORD). It talks to the running members service.
"""
import sys

import click
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import errors  # noqa: F401  (registers the typed errors for deserialisation)
from services.common.config import amqp_uri
from services.common.errors import ServiceError
from services.contracts.vocabulary import DEFAULT_TIMEZONE


@click.group()
def main():
    """Manage the communities hosted on this platform."""


@main.command("create-community")
@click.option("--name", required=True, help="Name of the house, e.g. 'Haus am Park'.")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@click.option("--organiser-email", required=True)
@click.option("--organiser-name", default="Organiser", show_default=True)
@click.option("--organiser-language", default="de", show_default=True)
@click.option("--organiser-password", envvar="ORGANISER_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="At least 10 characters (or set ORGANISER_PASSWORD).")
def create_community(name, timezone, organiser_email, organiser_name, organiser_language, organiser_password):
    organiser = {"email": organiser_email, "password": organiser_password, "display_name": organiser_name,
                 "preferred_language": organiser_language}
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri()}, timeout=30) as rpc:
            result = rpc.members.create_community(name, timezone, organiser)
    except ServiceError as error:
        click.echo(f"Not created: {error.detail} {error.errors or ''}".strip(), err=True)
        sys.exit(1)
    click.echo(f"Created community {result['community']['name']} ({result['community']['id']}), "
               f"time zone {result['community']['timezone']}.")
    click.echo(f"First organiser: {result['organiser']['email']} ({result['organiser']['id']}).")


if __name__ == "__main__":
    main()
