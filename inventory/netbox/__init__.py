"""NetBox integration: infrastructure in from NetBox, the compliance view back out."""
