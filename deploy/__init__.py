"""Deployment tooling: the Lambda package build and check, the stage resources and their policy."""
