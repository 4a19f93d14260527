"""The currencies a workspace may report in: the circulating currencies of ISO 4217 (list one).

The codes of funds (``CHE``, ``USN``, ...), precious metals (``XAU``, ...), bond units, special
drawing rights and testing (``XTS``, ``XXX``) are left out: nobody's revenue is in them. Codes
withdrawn by 2026 (``HRK``, ``SLL``, ``ZWL``, ``ANG``, ``BGN``, ``CUC``) are left out too.
"""

from __future__ import annotations

CODES: frozenset[str] = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR
PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF
XPF YER ZAR ZMW ZWG
""".split())

#: The symbols a reader knows without the code; every other currency is written with its code ("CHF 1,200").
SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
