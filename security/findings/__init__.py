"""Compliance rules, their findings, waivers and rectification notices (第二十八条)."""
